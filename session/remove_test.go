package session

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/scenario"
)

func TestRemoveTakesOnlyADisposedSessionOutOfTheManager(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Proactive: true})
		mustAdd(t, m, scenario.Spec{Name: "b", Identity: "bob"})
		synctest.Wait()
		if err := m.Remove("a"); !errors.Is(err, ErrNotDisposed) {
			t.Fatalf("Remove of a live session = %v, want ErrNotDisposed", err)
		}
		if _, ok := m.Get("a"); !ok {
			t.Fatal("a refused Remove still took the session out")
		}
		if err := m.Remove("nobody"); !errors.Is(err, ErrUnknownSession) {
			t.Errorf("Remove of an unknown session = %v, want ErrUnknownSession", err)
		}
		if err := m.Dispose("a"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := m.Remove("a"); err != nil {
			t.Fatalf("Remove of a disposed session: %v", err)
		}
		if _, ok := m.Get("a"); ok {
			t.Error("a removed session is still found by Get")
		}
		if ss := m.Sessions(); len(ss) != 1 || ss[0].Name() != "b" {
			t.Errorf("sessions after removing a: %d, want only b", len(ss))
		}
		if err := m.Remove("a"); !errors.Is(err, ErrUnknownSession) {
			t.Errorf("a second Remove = %v, want ErrUnknownSession", err)
		}
		if _, err := m.Add(scenario.Spec{Name: "a", Identity: "alice"}); err != nil {
			t.Errorf("the name of a removed session cannot be reused: %v", err)
		}
	})
}

func TestRemoveStopsTheCallersADisposedSessionKeeps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Callers: 1, CallInterval: time.Minute, Resource: true})
		synctest.Wait()
		if err := m.Dispose("a"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3*time.Minute + time.Second)
		before := s.Stats().GetTokenCalls
		if before == 0 {
			t.Fatal("the disposed session's resource caller made no calls; the test needs it running")
		}
		if err := m.Remove("a"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Minute)
		if after := s.Stats().GetTokenCalls; after != before {
			t.Errorf("after Remove the caller went on: %d calls, then %d", before, after)
		}
	})
}

func TestRemoveOnAClosedManagerSaysItIsClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		m.Close()
		if err := m.Remove("a"); !errors.Is(err, ErrClosed) {
			t.Errorf("Remove after Close = %v, want ErrClosed", err)
		}
	})
}
