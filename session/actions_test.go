package session

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"tokentop/credential"
	"tokentop/internal/clock"
	"tokentop/issuer"
	"tokentop/scenario"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lastEvent returns the session's newest event of kind, and whether there is one.
func lastEvent(s *Session, kind EventKind) (Event, bool) {
	events, _ := s.Events()
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Kind == kind {
			return events[i], true
		}
	}
	return Event{}, false
}

func TestRefreshNowCallsTheIssuerInTheBackgroundAndReportsIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Proactive: true, Lifetime: time.Hour})
		synctest.Wait()
		time.Sleep(10 * time.Minute)
		if err := m.Refresh("a"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if st := s.Stats(); st.IssuerCalls != 2 || st.Successes != 2 {
			t.Fatalf("issuer calls %d, successes %d; want 2, 2", st.IssuerCalls, st.Successes)
		}
		e, ok := lastEvent(s, KindRefreshStarted)
		if !ok || e.Reason != credential.ReasonForced {
			t.Errorf("last refresh-started: %+v", e)
		}
		if exp := s.Snapshot().ExpiresOn; !exp.Equal(time.Now().Add(time.Hour)) {
			t.Errorf("token expires %s, want an hour from the forced refresh", exp)
		}
	})
}

func TestRefreshOfAStaticSessionIsReportedAsAFailedAction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "st", Identity: "carol", Static: true, Lifetime: 20 * time.Minute})
		if err := m.Refresh("st"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		e, ok := lastEvent(s, KindActionFailed)
		if !ok || !errors.Is(e.Err, credential.ErrStatic) {
			t.Errorf("action-failed event: %+v", e)
		}
		if st := s.Stats(); st.IssuerCalls != 1 {
			t.Errorf("issuer calls %d, want 1 (the static token)", st.IssuerCalls)
		}
		time.Sleep(30 * time.Minute)
		if ph := s.Snapshot().Credential.Phase; ph != credential.PhaseExpired {
			t.Errorf("static session phase %s after its token expired on the manager's clock, want expired", ph)
		}
	})
}

func TestAbortCancelsAHangingRefreshAndKeepsTheToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Proactive: true, Lifetime: time.Hour})
		synctest.Wait()
		before := s.Snapshot().Token
		if err := m.InjectFault(issuer.Fault{Kind: issuer.FaultHang}); err != nil {
			t.Fatal(err)
		}
		m.Refresh("a")
		time.Sleep(10 * time.Second) // within Options.IssueTimeout, which would fail the call
		synctest.Wait()
		if ph := s.Snapshot().Credential.Phase; ph != credential.PhaseRefreshing {
			t.Fatalf("phase %s, want refreshing (hung)", ph)
		}
		if err := m.Abort("a"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		snap := s.Snapshot()
		if snap.Stats.Aborts != 1 || snap.Token != before {
			t.Errorf("aborts %d, token kept %v", snap.Stats.Aborts, snap.Token == before)
		}
		if _, ok := lastEvent(s, KindRefreshAborted); !ok {
			t.Error("no refresh-aborted event")
		}
		if _, ok := lastEvent(s, KindAbortAsked); !ok {
			t.Error("no abort-requested event")
		}
	})
}

func TestDisposeStopsRefreshesAndTheGapClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Proactive: true, Lifetime: time.Hour, Callers: 2, CallInterval: time.Minute})
		time.Sleep(30 * time.Minute)
		if err := m.Dispose("a"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		at := s.Stats()
		time.Sleep(3 * time.Hour)
		after := s.Stats()
		if after.IssuerCalls != at.IssuerCalls || after.GetTokenCalls != at.GetTokenCalls {
			t.Errorf("after dispose: issuer calls %d -> %d, GetToken %d -> %d; want no change (callers without resource checks stop)",
				at.IssuerCalls, after.IssuerCalls, at.GetTokenCalls, after.GetTokenCalls)
		}
		if after.TokenGap != 0 {
			t.Errorf("token gap %s after dispose, want 0: a disposed session's gap does not grow", after.TokenGap)
		}
		if ph := s.Snapshot().Credential.Phase; ph != credential.PhaseDisposed || !s.Snapshot().Disposed {
			t.Errorf("phase %s", ph)
		}
		if _, ok := lastEvent(s, KindDisposed); !ok {
			t.Error("no disposed event")
		}
	})
}

func TestDisposedSessionCallersStillPresentTheirOldTokenUntilItExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Proactive: true, Lifetime: time.Hour, Callers: 1, CallInterval: time.Minute, Resource: true})
		time.Sleep(30*time.Minute + time.Second)
		m.Dispose("a")
		time.Sleep(2 * time.Hour)
		st := s.Stats()
		// Calls 1..59 accepted (the token is not revoked, only dropped), 60..150 refused as expired.
		if st.ResourceAccepted != 59 || st.ResourceRefused != st.GetTokenCalls-59 || st.GetTokenErrors != st.GetTokenCalls-30 {
			t.Errorf("accepted %d refused %d of %d calls (%d GetToken errors)", st.ResourceAccepted, st.ResourceRefused, st.GetTokenCalls, st.GetTokenErrors)
		}
	})
}

func TestBurstSharesOneIssuerCallAndReportsWhenDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Lifetime: time.Hour})
		m.InjectFault(issuer.Fault{Kind: issuer.FaultLatency, Latency: 2 * time.Second})
		if err := m.Burst("a", 100); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		st := s.Stats()
		if st.IssuerCalls != 1 || st.GetTokenCalls != 100 || st.GetTokenErrors != 0 || st.MaxWait != 2*time.Second {
			t.Errorf("issuer calls %d, GetToken %d (%d errors), max wait %s; want 1, 100, 0, 2s", st.IssuerCalls, st.GetTokenCalls, st.GetTokenErrors, st.MaxWait)
		}
		e, ok := lastEvent(s, KindBurstDone)
		if !ok || !strings.Contains(e.Message, "100 calls, 0 failed") {
			t.Errorf("burst-done: %+v", e)
		}
		if err := m.Burst("a", 0); err == nil {
			t.Error("a burst of 0 calls was accepted")
		}
	})
}

func TestInjectFaultIsReportedAndBadFaultsAreRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		sub := m.Subscribe(10)
		if err := m.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Status: 503, Count: 1}); err != nil {
			t.Fatal(err)
		}
		if e := <-sub.C(); e.Kind != KindFault || e.Session != "" || e.Message != "the issuer will fail with 503 for the next call" {
			t.Errorf("event %+v", e)
		}
		if err := m.InjectFault(issuer.Fault{Kind: "meteor"}); err == nil || !strings.Contains(err.Error(), "down") {
			t.Errorf("unknown kind: %v", err)
		}
		if err := m.InjectFault(issuer.Fault{Kind: issuer.FaultDown}); err == nil {
			t.Error("a down fault without a duration was accepted")
		}
		if err := m.ClearFaults(); err != nil {
			t.Fatal(err)
		}
		opts, fake := fakeOptions(t, clock.Real{})
		opts.Issuer = plainIssuer{fake}
		bare, _ := NewManager(opts)
		defer bare.Close()
		if err := bare.InjectFault(issuer.Fault{Kind: issuer.FaultFail}); err == nil || !strings.Contains(err.Error(), "no injected faults") {
			t.Errorf("without an injector: %v", err)
		}
	})
}

func TestSignOutOfAnUnknownIdentityIsAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice"})
		if err := m.SignOut("mallory"); err == nil || !strings.Contains(err.Error(), "mallory") {
			t.Errorf("error %v", err)
		}
	})
}

func TestActionsNameUnknownSessionsAndRefuseAfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice"})
		for name, act := range map[string]func(string) error{"refresh": m.Refresh, "abort": m.Abort, "dispose": m.Dispose} {
			if err := act("zz"); !errors.Is(err, ErrUnknownSession) || !strings.Contains(err.Error(), `"zz"`) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := m.Add(scenario.Spec{Name: "a", Identity: "bob"}); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("duplicate: %v", err)
		}
		if _, err := m.Add(scenario.Spec{Name: "b", Identity: "bob", Policy: "rust"}); err == nil || !strings.Contains(err.Error(), "policy") {
			t.Errorf("bad policy: %v", err)
		}
		m.Close()
		if err := m.Refresh("a"); !errors.Is(err, ErrClosed) {
			t.Errorf("refresh after close: %v", err)
		}
		if _, err := m.Add(scenario.Spec{Name: "c", Identity: "c"}); !errors.Is(err, ErrClosed) {
			t.Errorf("add after close: %v", err)
		}
		if _, ok := <-m.Subscribe(1).C(); ok {
			t.Error("a subscription after close delivered an event")
		}
	})
}

func TestCloseStopsEveryGoroutineOnAPacedLoop(t *testing.T) {
	// Real time, sped up: no synctest here, goleak (TestMain) checks the end.
	c := clock.NewPaced(time.Now(), 3600)
	opts, _ := fakeOptions(t, c)
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := c.Go()
	sub := m.Subscribe(16)
	for _, p := range scenario.PolicyNames() {
		mustAdd(t, m, scenario.Spec{Name: p, Identity: p, Policy: p, Proactive: true, Lifetime: time.Hour, Callers: 20, CallInterval: time.Second, Resource: true})
	}
	m.InjectFault(issuer.Fault{Kind: issuer.FaultHang, Identity: "js"})
	m.Refresh("js")
	m.Burst("java", 50)
	timer := time.NewTimer(100 * time.Millisecond) // let six virtual minutes pass, whatever happens in them
	<-timer.C
	m.Close()
	stop()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for open := true; open; {
		select {
		case _, open = <-sub.C(): // closed by Close
		case <-deadline.C:
			t.Fatal("the subscription was still open 10 s after Close")
		}
	}
	if err := goleak.Find(); err != nil {
		t.Error(err)
	}
}

func TestBurstOnJavaPolicyCallsTheIssuerOncePerCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "j", Identity: "jo", Policy: "java", Lifetime: time.Hour})
		m.InjectFault(issuer.Fault{Kind: issuer.FaultLatency, Latency: time.Second})
		m.Burst("j", 40)
		time.Sleep(time.Minute)
		if st := s.Stats(); st.IssuerCalls != 40 || st.GetTokenErrors != 0 {
			t.Errorf("java burst: %d issuer calls, %d errors; want 40 (no coalescing), 0", st.IssuerCalls, st.GetTokenErrors)
		}
	})
}
