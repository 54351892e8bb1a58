package session

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"tokentop/fakeissuer"
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
	s, err := m.Add(scenario.Spec{Name: "a", Identity: "alice", Resource: true, ResourceURL: srv.URL + fakeissuer.PathMe})
	if err != nil {
		t.Fatal(err)
	}
	held := s.call("") // GetToken, then the resource call
	if held == "" {
		t.Fatal("the caller got no token")
	}
	if err := m.SignOut("alice"); err != nil {
		t.Fatal(err)
	}
	s.call(held) // GetToken fails (signed out); the caller's old token goes to the resource
	snap := s.Snapshot()
	if snap.Stats.ResourceAccepted != 1 || snap.Stats.ResourceRefused != 1 {
		t.Errorf("resource accepted %d, refused %d; want 1 and 1 (the token before and after sign-out)", snap.Stats.ResourceAccepted, snap.Stats.ResourceRefused)
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
