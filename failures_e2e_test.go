package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/credential"
	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/issuer"
	"tokentop/scenario"
	"tokentop/session"
)

// inMemory is an http.RoundTripper that serves requests with a handler in
// the caller's goroutine: the HTTP adapters then talk to the fake issuer
// inside a synctest bubble, on its fake clock.
type inMemory struct{ h http.Handler }

func (m inMemory) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// overHTTP returns a manager whose issuer is spec (its URLs on
// http://fake.test) answered by fake's HTTP handler, and the fake.
func overHTTP(t *testing.T, spec string, opts fakeissuer.Options, env map[string]string) (*session.Manager, *fakeissuer.Issuer) {
	t.Helper()
	opts.Clock = clock.Real{}
	fake, err := fakeissuer.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Host = "127.0.0.1" // the fake's admin guard trusts loopback names only
		fake.Handler().ServeHTTP(w, r)
	})
	sp, err := issuer.ParseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := sp.New(issuer.Options{HTTPClient: &http.Client{Transport: inMemory{handler}},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := iss.(io.Closer); ok {
		t.Cleanup(func() { c.Close() })
	}
	m, err := session.NewManager(session.Options{Issuer: iss, Clock: clock.Real{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, fake
}

// startedAt returns when each refresh of a session started.
func startedAt(s *session.Session) []time.Time {
	events, _ := s.Events()
	var at []time.Time
	for _, e := range events {
		if e.Kind == session.KindRefreshStarted {
			at = append(at, e.At)
		}
	}
	return at
}

func TestA429WithRetryAfterThirtyIsAskedAgainNoSoonerThanThirtySecondsLater(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, fake := overHTTP(t, "http://fake.test/getToken", fakeissuer.Options{}, nil)
		if err := fake.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Status: 429, RetryAfter: 30 * time.Second, Count: 2}); err != nil {
			t.Fatal(err)
		}
		s, err := m.Add(scenario.Spec{Name: "alice", Identity: "alice", Proactive: true, Lifetime: time.Hour, Callers: 1, CallInterval: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		at := startedAt(s)
		if len(at) != 3 {
			t.Fatalf("%d refreshes in 2 minutes, want 3: two throttled, then the token", len(at))
		}
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap < 30*time.Second {
				t.Errorf("refresh %d came %v after the one before; the issuer asked for 30 s", i+1, gap)
			}
		}
		if snap := s.Snapshot(); snap.Token == "" || snap.Credential.Phase != credential.PhaseValid {
			t.Errorf("after the throttling: %v, want a valid token", snap.Credential.Phase)
		}
	})
}

func TestA401InvalidClientNeedsAttentionAndIsAskedAgainOnceAMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := map[string]string{"SECRET": "wrong-secret"}
		m, _ := overHTTP(t, "oauth2:token_url=http://fake.test/oauth2/token,client_id=tokentop,secret_env=SECRET",
			fakeissuer.Options{ClientSecret: "the-right-secret"}, env)
		s, err := m.Add(scenario.Spec{Name: "app", Identity: "app", Proactive: true, Lifetime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(10*time.Minute + time.Second)
		synctest.Wait()
		snap := s.Snapshot()
		if snap.Credential.Phase != credential.PhaseAttention {
			t.Fatalf("after 10 minutes of 401 invalid_client: %v (%v), want needs attention", snap.Credential.Phase, snap.Credential.LastErr)
		}
		at := startedAt(s)
		// 0 s and 1 s (the second failure makes it permanent), then a minute
		// apart: 1m1s ... 10m1s.
		if len(at) != 12 {
			t.Fatalf("%d calls in 10 minutes, want 12", len(at))
		}
		for i := 2; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap != time.Minute {
				t.Errorf("call %d came %v after the one before, want 1m", i+1, gap)
			}
		}
	})
}
