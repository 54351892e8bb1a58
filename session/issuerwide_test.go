package session

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/issuer"
	"tokentop/scenario"
)

// Issue 14, bug 2: a sign-out against an issuer that cannot revoke said so
// only in an issuer-wide event that no screen showed.
func TestSignOutWithoutRevocationSaysSoInEachSignedOutSessionAndTheIssuerEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts, fake := fakeOptions(t, clockReal())
		opts.Issuer, opts.Faults = plainIssuer{fake}, fake // issues, takes faults, cannot revoke
		m, err := NewManager(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		chat := mustAdd(t, m, scenario.Spec{Name: "alice-chat", Identity: "alice", Proactive: true})
		voip := mustAdd(t, m, scenario.Spec{Name: "alice-voip", Identity: "alice", Proactive: true})
		bob := mustAdd(t, m, scenario.Spec{Name: "bob", Identity: "bob", Proactive: true})
		synctest.Wait()
		if err := m.SignOut("alice"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for _, s := range []*Session{chat, voip} {
			e, ok := lastEvent(s, KindRevokeFailed)
			if !ok || !strings.Contains(e.Text(), "the issuer plain cannot revoke; old tokens stay valid until they expire") {
				t.Errorf("%s's log has no revoke-failed saying the issuer cannot revoke: %+v", s.Name(), e)
			}
		}
		if e, ok := lastEvent(bob, KindRevokeFailed); ok {
			t.Errorf("bob, not signed out, logged %s", e.Text())
		}
		events, _ := m.Events()
		var sessions []string
		for _, e := range events {
			if e.Kind == KindRevokeFailed {
				sessions = append(sessions, e.Session)
			}
		}
		if strings.Join(sessions, " ") != "alice-chat alice-voip" {
			t.Errorf("the issuer-wide events hold revoke-failed for %v, want alice-chat and alice-voip", sessions)
		}
	})
}

// Issue 14, bug 2: fault-injected and action-failed events (no session)
// reached no log the screen reads.
func TestIssuerWideEventsAreKeptInABoundedLogInPublishOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Proactive: true})
		for range 75 {
			if err := m.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Count: 1}); err != nil {
				t.Fatal(err)
			}
			if err := m.ClearFaults(); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Schedule([]scenario.Step{{At: time.Minute, Action: scenario.ActionRefresh, Session: "gone"}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		events, older := m.Events()
		if len(events) != IssuerLogSize || older != 151-IssuerLogSize {
			t.Fatalf("kept %d issuer-wide events, %d older; want %d and %d", len(events), older, IssuerLogSize, 151-IssuerLogSize)
		}
		for i, e := range events {
			if e.Session != "" {
				t.Fatalf("event %d belongs to session %s: %s", i, e.Session, e.Text())
			}
			if i > 0 && e.Seq <= events[i-1].Seq {
				t.Fatalf("event %d has seq %d after %d: not in publish order", i, e.Seq, events[i-1].Seq)
			}
		}
		last := events[len(events)-1]
		if last.Kind != KindActionFailed || !strings.Contains(last.Text(), `"gone"`) {
			t.Errorf("newest issuer-wide event %q, want the failed timeline step", last.Text())
		}
		if own, _ := s.Events(); len(own) == 0 {
			t.Error("the session logged nothing")
		}
	})
}

func TestAHeadlessManagerKeepsNoIssuerWideEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts, _ := fakeOptions(t, clockReal())
		opts.LogSize = -1
		m, err := NewManager(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Count: 1}); err != nil {
			t.Fatal(err)
		}
		if events, older := m.Events(); len(events) != 0 || older != 1 {
			t.Errorf("kept %d, counted %d; want none kept, 1 counted", len(events), older)
		}
	})
}

// Issue 14, bug 2: the header shows the scenario, its duration and its next
// step, in order of time, ties in the timeline's order.
func TestScenarioAndNextStepFollowTheTimeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		if name, d := m.Scenario(); name != "" || d != 0 {
			t.Errorf("before Start: scenario %q (%v), want none", name, d)
		}
		if _, what, ok := m.NextStep(); ok {
			t.Errorf("before Start: next step %q", what)
		}
		start := time.Now()
		sc := scenario.Scenario{Name: "steps", Duration: 2 * time.Hour,
			Sessions: []scenario.Spec{{Name: "a", Identity: "alice", Proactive: true}},
			Timeline: []scenario.Step{
				{At: 30 * time.Minute, Action: scenario.ActionSignOut, Identity: "alice"},
				{At: 10 * time.Minute, Action: scenario.ActionFault, Fault: issuer.Fault{Kind: issuer.FaultDown, Duration: 5 * time.Minute}},
				{At: 10 * time.Minute, Action: scenario.ActionClearFaults},
				{At: 20 * time.Minute, Action: scenario.ActionBurst, Session: "a", Count: 3},
			}}
		if err := m.Start(sc); err != nil {
			t.Fatal(err)
		}
		if name, d := m.Scenario(); name != "steps" || d != 2*time.Hour {
			t.Errorf("scenario %q (%v), want steps (2h)", name, d)
		}
		for _, want := range []struct {
			after time.Duration // sleep this long first
			at    time.Duration
			what  string
		}{
			{0, 10 * time.Minute, "fault: be down for 5m0s"},
			{10*time.Minute + time.Second, 20 * time.Minute, "burst of 3 on a"},
			{5 * time.Minute, 20 * time.Minute, "burst of 3 on a"},
			{10 * time.Minute, 30 * time.Minute, "sign out alice"},
		} {
			time.Sleep(want.after)
			synctest.Wait()
			at, what, ok := m.NextStep()
			if !ok || !at.Equal(start.Add(want.at)) || what != want.what {
				t.Errorf("at +%v: next step %q at +%v (%v), want %q at +%v", time.Since(start), what, at.Sub(start), ok, want.what, want.at)
			}
		}
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if _, what, ok := m.NextStep(); ok {
			t.Errorf("after the last step: next step %q", what)
		}
	})
}

func TestNextStepIsTheSoonestTieFirstScheduled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		start := time.Now()
		if err := m.Schedule([]scenario.Step{
			{At: 10 * time.Minute, Action: scenario.ActionClearFaults},
			{At: 5 * time.Minute, Action: scenario.ActionRefresh, Session: "x"},
			{At: 5 * time.Minute, Action: scenario.ActionAbort, Session: "x"},
		}); err != nil {
			t.Fatal(err)
		}
		if at, what, _ := m.NextStep(); what != "refresh x" || !at.Equal(start.Add(5*time.Minute)) {
			t.Errorf("next step %q at +%v, want refresh x at +5m", what, at.Sub(start))
		}
		m.Close()
		if _, what, ok := m.NextStep(); ok {
			t.Errorf("after Close: next step %q", what)
		}
	})
}

// Issue 14, bug 2: the header shows the active faults.
func TestActiveFaultsListsWhatTheFakeHoldsAndWhatIsLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		if faults, ok := m.ActiveFaults(); !ok || len(faults) != 0 {
			t.Fatalf("active faults %v (%v), want none, listed", faults, ok)
		}
		for _, f := range []issuer.Fault{{Kind: issuer.FaultDown, Duration: 5 * time.Minute}, {Kind: issuer.FaultFail, Status: 503, Count: 3}} {
			if err := m.InjectFault(f); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2*time.Minute + 30*time.Second + 500*time.Millisecond) // 2m29.5s left: shown as 2m30s
		faults, _ := m.ActiveFaults()
		if len(faults) != 2 || faults[0].String() != "be down for 2m30s" || faults[1].String() != "fail with 503 for the next 3 calls" {
			t.Errorf("after 2m30s the faults are %v, want down for 2m30s more and 3 failures", faults)
		}
		time.Sleep(3 * time.Minute)
		if faults, _ := m.ActiveFaults(); len(faults) != 1 || faults[0].Kind != issuer.FaultFail {
			t.Errorf("after the outage the faults are %v, want the 3 failures", faults)
		}

		opts, fake := fakeOptions(t, clockReal())
		opts.Issuer = plainIssuer{fake}
		bare, _ := NewManager(opts)
		defer bare.Close()
		if faults, ok := bare.ActiveFaults(); ok || faults != nil {
			t.Errorf("an issuer without faults lists %v (%v)", faults, ok)
		}
	})
}
