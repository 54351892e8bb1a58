package session

import (
	"context"
	"testing"

	"tokentop/credential"
	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/issuer"
)

// The fake is itself the manager's resource check and fault injector.
var (
	_ ResourceChecker      = (*fakeissuer.Issuer)(nil)
	_ issuer.FaultInjector = (*fakeissuer.Issuer)(nil)
)

// fakeOptions returns manager options over a new in-process fake issuer on c.
func fakeOptions(t testing.TB, c clock.Clock) (Options, *fakeissuer.Issuer) {
	t.Helper()
	return fakeOptionsAlg(t, c, "")
}

// fakeOptionsAlg is fakeOptions with the fake signing with alg (ES256 when empty).
func fakeOptionsAlg(t testing.TB, c clock.Clock, alg string) (Options, *fakeissuer.Issuer) {
	t.Helper()
	fake, err := fakeissuer.New(fakeissuer.Options{Clock: c, Algorithm: alg})
	if err != nil {
		t.Fatal(err)
	}
	return Options{Issuer: fake, Clock: c}, fake
}

// newTestManager returns a manager over the fake on the wall clock (inside
// a synctest bubble: virtual time), closed when the test ends. The manager
// runs its own loop at 1x; the fake's calls take no time but what a fault
// injects (no IssuerLatency), so that a test can count in whole seconds.
func newTestManager(t *testing.T) (*Manager, *fakeissuer.Issuer) {
	t.Helper()
	opts, fake := fakeOptions(t, clock.Real{})
	opts.IssuerLatency = -1
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, fake
}

// runManager returns a manager on opts.Clock, a loop that it runs until the
// test ends (in a synctest bubble, inside it), when it closes the manager
// and then stops the loop.
func runManager(t *testing.T, opts Options) *Manager {
	t.Helper()
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := opts.Clock.(*clock.Loop).Go()
	t.Cleanup(func() {
		m.Close()
		stop()
	})
	return m
}

func clockReal() clock.Clock { return clock.Real{} }

// The fake simulates its Teams calls too, so Teams sessions run in sim time.
var _ SimulatedTeamsIssuer = (*fakeissuer.Issuer)(nil)

// plainIssuer hides the fake's extra methods: an issuer that only issues.
type plainIssuer struct{ fake *fakeissuer.Issuer }

func (p plainIssuer) Issue(ctx context.Context, r issuer.Request) (credential.AccessToken, error) {
	return p.fake.Issue(ctx, r)
}
func (p plainIssuer) Name() string { return "plain" }
