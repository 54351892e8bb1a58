package session

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/scenario"
)

// runPersisted starts spec on a new manager over opts, gets its token and
// checks it at the fake's resource; it returns the session's issuer calls
// and the manager, still open.
func runPersisted(t *testing.T, opts Options, spec scenario.Spec) (uint64, *Manager) {
	t.Helper()
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	s, err := m.Add(spec)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Credential().GetToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := opts.Issuer.(*fakeissuer.Issuer).CheckToken(context.Background(), tok.Token); err != nil {
		t.Errorf("the session's token does not work: %v", err)
	}
	return s.Stats().IssuerCalls, m
}

// Issue 20, defect 2: signing an identity out evicts its cached tokens, so
// the next start asks the issuer and gets a token that works, rather than
// resuming the revoked one.
func TestSignOutEvictsTheIdentitysCachedTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts, _ := fakeOptions(t, clock.Real{})
		opts.Cache = NewMemoryCache()
		spec := scenario.Spec{Name: "p", Identity: "alice", Scopes: []string{"chat"}, Persist: true, IssueInitial: true, Lifetime: time.Hour}
		voip := spec
		voip.Name, voip.Scopes = "v", []string{"voip"}
		_, m := runPersisted(t, opts, spec)
		if _, err := m.Add(voip); err != nil {
			t.Fatal(err)
		}
		if err := m.SignOut("alice"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the revocation in the background
		m.Close()
		for _, sp := range []scenario.Spec{spec, voip} {
			if n, _ := runPersisted(t, opts, sp); n != 1 {
				t.Errorf("after sign-out, session %s made %d issuer calls; want 1 (its cached token was revoked)", sp.Name, n)
			}
		}
	})
}

// Issue 20, defect 2: a fake of another process (another signing key) never
// resumes a token this one signed; the same fake does (the restart action).
func TestAnotherFakesTokensAreNotResumed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cache := NewMemoryCache()
		opts, _ := fakeOptions(t, clock.Real{})
		opts.Cache = cache
		spec := scenario.Spec{Name: "p", Identity: "alice", Persist: true, IssueInitial: true, Lifetime: time.Hour}
		runPersisted(t, opts, spec)
		if n, _ := runPersisted(t, opts, spec); n != 0 {
			t.Errorf("the same fake: %d issuer calls, want 0 (resumed from the cache)", n)
		}
		other, _ := fakeOptions(t, clock.Real{})
		other.Cache = cache
		if n, _ := runPersisted(t, other, spec); n != 1 {
			t.Errorf("another fake: %d issuer calls, want 1 (the cached token is signed with another key)", n)
		}
	})
}
