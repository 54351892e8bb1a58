package session

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/credential"
	"tokentop/issuer"
	"tokentop/scenario"
)

// brokenIssuer refuses every call until healed.
type brokenIssuer struct {
	plainIssuer
	healed atomic.Bool
}

func (b *brokenIssuer) Issue(ctx context.Context, r issuer.Request) (credential.AccessToken, error) {
	if !b.healed.Load() {
		return credential.AccessToken{}, &issuer.StatusError{StatusCode: 401, Excerpt: "invalid_client"}
	}
	return b.plainIssuer.Issue(ctx, r)
}

func TestAStaticSessionWhoseTokenCannotBeIssuedStaysUntilARefreshIssuesIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, fake := fakeOptions(t, clockReal())
		iss := &brokenIssuer{plainIssuer: plainIssuer{fake}}
		m, err := NewManager(Options{Issuer: iss})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		s, err := m.Add(scenario.Spec{Name: "carol", Identity: "carol", Static: true, Callers: 1, CallInterval: time.Minute})
		if err != nil {
			t.Fatalf("Add of a static session against a refusing issuer: %v; want the session kept", err)
		}
		time.Sleep(90 * time.Second)
		synctest.Wait()
		snap := s.Snapshot()
		if snap.Token != "" || snap.Credential.LastErr == nil {
			t.Fatalf("snapshot %+v: want no token and the issuer's error", snap.Credential)
		}
		if st := s.Stats(); st.GetTokenErrors != 1 {
			t.Errorf("%d GetToken errors from the caller, want 1", st.GetTokenErrors)
		}
		iss.healed.Store(true)
		if err := m.Refresh("carol"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		snap = s.Snapshot()
		if snap.Token == "" || snap.Credential.Phase != credential.PhaseValid || snap.Credential.LastErr != nil {
			t.Fatalf("after the issuer healed and r: %+v, want the static token", snap.Credential)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if st := s.Stats(); st.GetTokenCalls != 2 || st.GetTokenErrors != 1 {
			t.Errorf("caller: %d calls, %d errors; want its second call served", st.GetTokenCalls, st.GetTokenErrors)
		}
	})
}

func TestAnIssuerThatRefusesEverySessionStillEndsTheRunWithASummary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, fake := fakeOptions(t, clockReal())
		sc := builtin(t, "demo")
		sum, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: Options{Issuer: &brokenIssuer{plainIssuer: plainIssuer{fake}}}, Duration: 10 * time.Minute})
		if err != nil {
			t.Fatalf("RunHeadless: %v; want the run to end with its summary", err)
		}
		if len(sum.Sessions) != len(sc.Sessions) {
			t.Fatalf("%d sessions in the summary, want %d", len(sum.Sessions), len(sc.Sessions))
		}
		flagged := 0
		for _, s := range sum.Sessions {
			if s.NeverHadToken {
				flagged++
			}
		}
		if flagged == 0 {
			t.Error("no session is flagged as never having had a token")
		}
	})
}
