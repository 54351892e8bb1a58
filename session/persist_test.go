package session

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
	"tokentop/scenario"
)

// Issue 16: the restart scenario restarts tokentop during an outage; the
// persisted sessions resume from the cache with no gap, the others wait for
// the issuer.
func TestRestartScenarioPersistedSessionsHaveNoGap(t *testing.T) {
	sc, err := scenario.Builtin("restart")
	if err != nil {
		t.Fatal(err)
	}
	sum, text := playText(t, sc, 0)
	if !strings.Contains(text, "restart") {
		t.Errorf("the run does not mention the restart:\n%s", text)
	}
	persisted := map[string]bool{}
	for _, s := range sc.Sessions {
		persisted[s.Name] = s.Persist
	}
	var kept, others int
	for _, s := range sum.Sessions {
		switch {
		case persisted[s.Name]:
			kept++
			if s.TokenGapSeconds != 0 {
				t.Errorf("persisted session %s: token gap %vs, want 0", s.Name, s.TokenGapSeconds)
			}
		default:
			others++
			if s.TokenGapSeconds <= 0 {
				t.Errorf("session %s (not persisted): token gap %vs, want more than 0", s.Name, s.TokenGapSeconds)
			}
		}
	}
	if kept == 0 || others == 0 {
		t.Fatalf("want persisted and other sessions, got %d and %d", kept, others)
	}
}

// Issue 16: a persisted session stores the token it accepts and a later
// start resumes from it without calling the issuer; an expired cached token
// is ignored; a session that does not persist neither reads nor writes.
func TestPersistedSessionResumesFromCacheAndIgnoresExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cache := NewMemoryCache()
		opts, _ := fakeOptions(t, clock.Real{})
		opts.Cache = cache
		spec := scenario.Spec{Name: "p", Identity: "alice", Scopes: []string{"chat"}, Persist: true, IssueInitial: true, Lifetime: time.Hour}

		run := func(spec scenario.Spec) (issuerCalls uint64, source string) {
			m, err := NewManager(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			s, err := m.Add(spec)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Credential().GetToken(context.Background()); err != nil {
				t.Fatal(err)
			}
			return s.Stats().IssuerCalls, s.Snapshot().TokenSource
		}
		if n, src := run(spec); n != 1 || src != SourceInitial {
			t.Fatalf("first run: %d issuer calls, source %q; want 1, %q", n, src, SourceInitial)
		}
		if n, src := run(spec); n != 0 || src != SourceCache {
			t.Errorf("second run, cached token valid: %d issuer calls, source %q; want 0, %q", n, src, SourceCache)
		}
		other := spec
		other.Persist = false
		if n, _ := run(other); n != 1 {
			t.Errorf("a session that does not persist: %d issuer calls, want 1 (no cache read)", n)
		}
		time.Sleep(2 * time.Hour) // the cached token expires
		if n, src := run(spec); n != 1 || src != SourceInitial {
			t.Errorf("cached token expired: %d issuer calls, source %q; want 1, %q", n, src, SourceInitial)
		}
		// The refreshed token was saved: a run now reuses it.
		if n, _ := run(spec); n != 0 {
			t.Errorf("after re-issuing: %d issuer calls, want 0", n)
		}
	})
}

// Issue 16: a refresh's token is what the cache keeps, and the snapshot
// says it came from the issuer.
func TestPersistedSessionSavesRefreshedToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cache := NewMemoryCache()
		opts, _ := fakeOptions(t, clock.Real{})
		opts.Cache = cache
		m, err := NewManager(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		s, err := m.Add(scenario.Spec{Name: "p", Identity: "bob", Persist: true, Lifetime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.Credential().GetToken(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := cache.Load(s.cacheKey())
		if err != nil || !ok || got.Token != tok.Token || !got.ExpiresOn.Equal(tok.ExpiresOn) {
			t.Errorf("cache holds %v %v %v, want the refreshed token", ok, err, got.ExpiresOn)
		}
		if src := s.Snapshot().TokenSource; src != SourceIssuer {
			t.Errorf("source %q, want %q", src, SourceIssuer)
		}
	})
}
