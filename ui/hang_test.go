package ui

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"tokentop/fakeissuer"
	"tokentop/issuer"
	"tokentop/scenario"
	"tokentop/session"
)

// hangingIssuer serves the fake issuer's /getToken over a loopback HTTP
// server, except that a request for identity "stuck" is never answered
// until the test ends (or its client gives up). started gets one value per
// stuck request received.
func hangingIssuer(t *testing.T) (iss issuer.Issuer, started <-chan struct{}) {
	t.Helper()
	fake, err := fakeissuer.New(fakeissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stuck := make(chan struct{}, 16)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if bytes.Contains(body, []byte(`"stuck"`)) {
			stuck <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close: a handler still waiting returns
	spec, err := issuer.ParseSpec(srv.URL + fakeissuer.PathGetToken)
	if err != nil {
		t.Fatal(err)
	}
	iss, err = spec.New(issuer.Options{HTTPClient: srv.Client(), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := iss.(io.Closer); ok {
		t.Cleanup(func() { c.Close() })
	}
	return iss, stuck
}

// A real issuer that never answers one session's refresh holds up nothing
// else: the manager's loop keeps running the other session's callers, its
// GetToken returns, and the screen's frame is read, each well within a
// deadline, while the stuck refresh is still in flight.
func TestAHangingHTTPIssuerDelaysNoOtherSessionNorTheFrame(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // last: after the server and the manager close
	iss, stuck := hangingIssuer(t)
	mgr, err := session.NewManager(session.Options{Issuer: iss, IssueTimeout: time.Hour, CallTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	const deadline = 10 * time.Second
	// The stuck session's caller, on the loop, starts the refresh that hangs.
	if _, err := mgr.Add(scenario.Spec{Name: "stuck", Identity: "stuck", Callers: 1, CallInterval: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stuck:
	case <-time.After(deadline):
		t.Fatal("the stuck session's refresh never reached the issuer")
	}

	ok, err := mgr.Add(scenario.Spec{Name: "ok", Identity: "alice", Callers: 1, CallInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if _, err := ok.Credential().GetToken(ctx); err != nil {
		t.Fatalf("GetToken of the other session while one refresh hangs: %v", err)
	}

	// The loop runs the other session's caller: its calls keep coming.
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for st := ok.Stats(); st.GetTokenCalls < 3 || st.GetTokenErrors != 0; st = ok.Stats() {
		select {
		case <-poll.C:
		case <-ctx.Done():
			t.Fatalf("the other session's caller made %d calls (%d errors) in %s while one refresh hung; want 3 without error", st.GetTokenCalls, st.GetTokenErrors, deadline)
		}
	}

	framed := make(chan frame, 1)
	go func() { framed <- newManagerBackend(mgr, nil).Frame("") }()
	select {
	case f := <-framed:
		var states []state
		for _, s := range f.Sessions {
			states = append(states, s.State)
		}
		if len(f.Sessions) != 2 || f.Sessions[0].State != stateRefreshing || f.Sessions[1].State != stateValid {
			t.Errorf("frame states %v, want the stuck session refreshing and the other valid", states)
		}
	case <-ctx.Done():
		t.Fatalf("the screen's frame was not read within %s while one refresh hung", deadline)
	}
}
