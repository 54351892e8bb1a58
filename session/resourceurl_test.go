package session

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/scenario"
)

// Issue 23, bug 8: a session that names its resource check's URL sends its
// tokens there (here the fake's /api/me over HTTP, as tokentop fakeissuer
// serves it) rather than to the in-process check: a token of the issuer is
// accepted, and once its identity is signed out (revoked) it is refused.
// Without the URL, resource=true did nothing with any issuer but the
// in-process fake.
func TestASessionsResourceURLAcceptsThenRefusesItsRevokedToken(t *testing.T) {
	fake, err := fakeissuer.New(fakeissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	refusing := ResourceCheckFunc(func(_ context.Context, _ string) error { return errors.New("the in-process check was used") })
	m, err := NewManager(Options{Issuer: fake, Resource: refusing})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, err := m.Add(scenario.Spec{Name: "a", Identity: "alice", Proactive: true, Callers: 1, CallInterval: 10 * time.Millisecond,
		Resource: true, ResourceURL: srv.URL + fakeissuer.PathMe})
	if err != nil {
		t.Fatal(err)
	}
	// The manager runs on the wall clock (a real HTTP resource), so the
	// caller's visits are waited for, each wait with a deadline.
	waitUntil(t, "a caller's token accepted by the resource", func() bool { return s.Snapshot().Stats.ResourceAccepted > 0 })
	if err := m.SignOut("alice"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the signed-out token refused by the resource", func() bool { return s.Snapshot().Stats.ResourceRefused > 0 })
	m.Close()
	if refused := s.Snapshot().Stats.ResourceRefused; refused == 0 {
		t.Errorf("resource refused %d; want the token after sign-out refused", refused)
	}
	var refusal string
	events, _ := s.Events()
	for _, e := range events {
		if e.Kind == KindResource {
			refusal = e.Err.Error()
		}
	}
	if !strings.Contains(refusal, "401 Unauthorized: revoked") || !strings.Contains(refusal, srv.URL) {
		t.Errorf("the refusal event says %q; want the URL, 401 and revoked", refusal)
	}
}

// waitUntil waits for cond, looking every few milliseconds, and fails the
// test if it does not hold within 10 s (a run on the wall clock).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10 s", what)
		}
		<-tick.C
	}
}

// In simulated time a resource URL is refused: its network call would take
// no virtual time, and the run would no longer be exact.
func TestAResourceURLIsRefusedInSimulatedTime(t *testing.T) {
	fake, err := fakeissuer.New(fakeissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(Options{Issuer: fake, Clock: clock.NewSim(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, err = m.Add(scenario.Spec{Name: "a", Identity: "alice", Resource: true, ResourceURL: "http://127.0.0.1:1/api/me"})
	if err == nil || !strings.Contains(err.Error(), "resource_url") {
		t.Fatalf("Add = %v; want resource_url refused in simulated time", err)
	}
}
