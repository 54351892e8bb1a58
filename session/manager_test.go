package session

import (
	"testing"
	"testing/synctest"
	"time"

	"tokentop/scenario"
)

func mustAdd(t *testing.T, m *Manager, spec scenario.Spec) *Session {
	t.Helper()
	s, err := m.Add(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func kinds(events []Event) map[EventKind]int {
	n := map[EventKind]int{}
	for _, e := range events {
		n[e.Kind]++
	}
	return n
}

func TestProactiveSessionRefreshesOncePerCycleWithoutGap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Proactive: true, Lifetime: time.Hour, Callers: 3, CallInterval: 30 * time.Second, Resource: true})
		time.Sleep(2*time.Hour + time.Minute + time.Second)
		st := s.Stats()
		// refreshes at 0, 50m, 1h40m
		if st.IssuerCalls != 3 || st.Successes != 3 || st.Failures != 0 {
			t.Fatalf("issuer calls %d successes %d failures %d, want 3, 3, 0", st.IssuerCalls, st.Successes, st.Failures)
		}
		if st.TokenGap != 0 {
			t.Errorf("token gap %s, want 0", st.TokenGap)
		}
		if st.GetTokenCalls != 3*242 || st.ResourceAccepted != st.GetTokenCalls || st.ResourceRefused != 0 {
			t.Errorf("GetToken %d accepted %d refused %d, want %d all accepted", st.GetTokenCalls, st.ResourceAccepted, st.ResourceRefused, 3*242)
		}
		if st.MaxWait != 0 {
			t.Errorf("max wait %s, want 0 (callers never wait on a proactive refresh)", st.MaxWait)
		}
		snap := s.Snapshot()
		if snap.Token == "" || snap.Credential.Phase.String() != "valid" {
			t.Errorf("snapshot: has token %v, phase %s", snap.Token != "", snap.Credential.Phase)
		}
	})
}
