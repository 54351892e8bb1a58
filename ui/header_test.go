package ui

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/credential"
	"tokentop/fakeissuer"
	"tokentop/issuer"
	"tokentop/scenario"
	"tokentop/session"
)

// runBackend is a scripted backend whose frames carry run information.
type runBackend struct {
	*fakeBackend
	run runInfo
}

func (r *runBackend) Frame(detail string) frame {
	f := r.fakeBackend.Frame(detail)
	f.Run = r.run
	return f
}

// headerOf returns the screen's lines above the first rule.
func headerOf(screen string) string {
	var head []string
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, "──") {
			break
		}
		head = append(head, l)
	}
	return strings.Join(head, "\n")
}

// Issue 14, bug 2: the header shows the scenario, its duration and next
// step, the active faults, and the newest issuer-wide event.
func TestHeaderShowsTheScenarioItsNextStepTheFaultsAndTheNewestIssuerEvent(t *testing.T) {
	be := &runBackend{fakeBackend: demoBackend(testNow), run: runInfo{
		Scenario: "outage", Duration: 2 * time.Hour,
		NextAt: testNow.Add(6*time.Minute + 43*time.Second), Next: "sign out alice",
		Faults: []string{"be down for 8m0s"},
		Notice: notice{At: testNow.Add(-time.Minute), Text: "alice-chat: revoke-failed: identity alice: the issuer plain cannot revoke; old tokens stay valid until they expire", Warn: true},
	}}
	d := newDriver(t, be, Options{Issuer: "fake (in-process)", NoColor: true}, 200, 30)
	screen := d.screen()
	checkGeometry(t, screen, 200, 30)
	head := headerOf(screen)
	for _, want := range []string{"scenario outage (2h)", "next sign out alice in 6m43s", "fault: be down for 8m0s",
		"issuer event 10:41:17: alice-chat: revoke-failed: identity alice: the issuer plain cannot revoke; old tokens stay valid until they expire"} {
		if !strings.Contains(head, want) {
			t.Errorf("the header lacks %q:\n%s", want, head)
		}
	}

	be.run.Faults = append(be.run.Faults, "fail with 503 for the next 2 calls")
	be.run.Notice = notice{}
	d.send(EventsMsg{N: 1}) // fetches a fresh frame
	d.send(windowSize(80, 24))
	screen = d.screen()
	checkGeometry(t, screen, 80, 24)
	if head := headerOf(screen); !strings.Contains(head, "faults 2: be down for 8m0s; fail") || strings.Contains(head, "issuer event") {
		t.Errorf("with two faults and no issuer event the header reads:\n%s", head)
	}
}

func TestHeaderWithoutAScenarioFaultsOrIssuerEventsIsUnchanged(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{Issuer: "fake (in-process)", NoColor: true}, 120, 30)
	if head := headerOf(d.screen()); strings.Count(head, "\n") != 0 || strings.Contains(head, "scenario") {
		t.Errorf("header without run information:\n%s", head)
	}
}

func TestSpanTextDropsZeroUnits(t *testing.T) {
	for d, want := range map[time.Duration]string{2 * time.Hour: "2h", 90 * time.Minute: "1h30m", 45 * time.Minute: "45m",
		5 * time.Minute: "5m", 72 * time.Hour: "3 days", 76 * time.Hour: "3 days 4h", 26 * time.Hour: "26h",
		30 * time.Second: "30s"} {
		if got := spanText(d); got != want {
			t.Errorf("spanText(%v) = %q, want %q", d, got, want)
		}
	}
}

// issueOnly hides the fake issuer's Revoke: an issuer that cannot revoke.
type issueOnly struct{ fake *fakeissuer.Issuer }

func (i issueOnly) Name() string { return "issue-only" }
func (i issueOnly) Issue(ctx context.Context, r issuer.Request) (credential.AccessToken, error) {
	return i.fake.Issue(ctx, r)
}

// Issue 14, bug 2: signing out against an issuer that cannot revoke said
// only "requested" on the screen.
func TestSignOutOnAnIssuerThatCannotRevokeSaysSoOnTheScreen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, err := fakeissuer.New(fakeissuer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		mgr, err := session.NewManager(session.Options{Issuer: issueOnly{fake}, Faults: fake})
		if err != nil {
			t.Fatal(err)
		}
		defer mgr.Close()
		if _, err := mgr.Add(scenario.Spec{Name: "alice-chat", Identity: "alice", Proactive: true}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		model := NewModel(mgr, Options{NoColor: true})
		d := &driver{t: t, m: model}
		d.send(windowSize(160, 30))
		d.send(frameMsg{frame: model.be.Frame("")})
		d.keys("s", "y")
		synctest.Wait()
		d.send(EventsMsg{N: 1})
		screen := d.screen()
		const want = "revoke-failed: identity alice: the issuer issue-only cannot revoke; old tokens stay valid until they expire"
		if !strings.Contains(headerOf(screen), "alice-chat: "+want) {
			t.Errorf("the header does not say the tokens were not revoked:\n%s", screen)
		}
		if strings.Count(screen, want) != 2 {
			t.Errorf("want the revoke-failed in the header and in alice-chat's log:\n%s", screen)
		}
	})
}

// The manager's frames carry the scenario Start started, its next step, the
// fake issuer's active faults and the newest issuer-wide event.
func TestManagerFramesCarryTheScenarioTheNextStepAndTheFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, err := fakeissuer.New(fakeissuer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		mgr, err := session.NewManager(session.Options{Issuer: fake})
		if err != nil {
			t.Fatal(err)
		}
		defer mgr.Close()
		start := time.Now()
		if err := mgr.Start(scenario.Scenario{Name: "outage", Duration: 2 * time.Hour,
			Sessions: []scenario.Spec{{Name: "tt", Identity: "alice", Proactive: true}},
			Timeline: []scenario.Step{{At: 49 * time.Minute, Action: scenario.ActionFault, Fault: issuer.Fault{Kind: issuer.FaultDown, Duration: 9 * time.Minute}}},
		}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the session is added by a step of the manager's loop, due now
		be := newManagerBackend(mgr, nil)
		r := be.Frame("").Run
		if r.Scenario != "outage" || r.Duration != 2*time.Hour || r.Next != "fault: be down for 9m0s" || !r.NextAt.Equal(start.Add(49*time.Minute)) || len(r.Faults) != 0 {
			t.Errorf("at the start: %+v", r)
		}
		time.Sleep(50 * time.Minute)
		synctest.Wait()
		r = be.Frame("").Run
		if r.Next != "" || len(r.Faults) != 1 || r.Faults[0] != "be down for 8m0s" ||
			r.Notice.Text != "fault-injected: the issuer will be down for 9m0s" || !r.Notice.At.Equal(start.Add(49*time.Minute)) {
			t.Errorf("a minute into the outage: %+v", r)
		}
	})
}

// startBackend is a scripted backend whose run began at start.
type startBackend struct {
	*runBackend
	start time.Time
}

func (b *startBackend) Frame(detail string) frame {
	f := b.runBackend.Frame(detail)
	f.Start = b.start
	return f
}

// Issue 23: at x1,000,000 the clock read 01:48:32 three virtual days in.
func TestHeaderClockShowsTheDateOnceTheRunGoesIntoAnotherDay(t *testing.T) {
	for _, tt := range []struct {
		start time.Time
		want  string
	}{
		{testNow.Add(-time.Hour), " 10:42:17 x60"},
		{testNow.Add(-50 * time.Hour), " 2026-11-22 10:42:17 x60"},
	} {
		be := &startBackend{runBackend: &runBackend{fakeBackend: demoBackend(testNow)}, start: tt.start}
		be.run.Notice = notice{At: testNow.Add(-time.Minute), Text: "fault-injected"}
		d := newDriver(t, be, Options{NoColor: true}, 120, 30)
		head := headerOf(d.screen())
		if !strings.Contains(head, tt.want) {
			t.Errorf("run began %v before: header lacks %q:\n%s", testNow.Sub(tt.start), tt.want, head)
		}
		if dated := strings.Contains(head, "issuer event 2026-11-22 10:41:17:"); dated != (tt.want[1] == '2') {
			t.Errorf("run began %v before: the issuer event is dated %v:\n%s", testNow.Sub(tt.start), dated, head)
		}
	}
}

func TestHeaderSaysTheScenarioHasEnded(t *testing.T) {
	be := &startBackend{runBackend: &runBackend{fakeBackend: demoBackend(testNow),
		run: runInfo{Scenario: "outage", Duration: 2 * time.Hour}}, start: testNow.Add(-2*time.Hour - 3*time.Minute)}
	d := newDriver(t, be, Options{NoColor: true}, 120, 30)
	if head, want := headerOf(d.screen()), "scenario outage (2h, ended 3m00s ago)"; !strings.Contains(head, want) {
		t.Errorf("header lacks %q:\n%s", want, head)
	}
	be.start = testNow.Add(-time.Hour)
	d.send(EventsMsg{N: 1})
	if head, want := headerOf(d.screen()), "scenario outage (2h) "; !strings.Contains(head, want) {
		t.Errorf("a running scenario: header lacks %q:\n%s", want, head)
	}
}

// Issue 23: issuer calls fell from 189 to 101 when x removed a session.
func TestHeaderTotalsAreRunTotalsThatRemovingASessionKeeps(t *testing.T) {
	withManager(t, Options{NoColor: true}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		before := mgr.Totals()
		d.keys("d", "y")
		synctest.Wait()
		d.send(EventsMsg{N: 1})
		d.keys("x")
		synctest.Wait()
		d.send(EventsMsg{N: 1})
		if _, ok := mgr.Get("alice-chat"); ok {
			t.Fatal("x did not remove alice-chat")
		}
		want := "sessions 2  issuer calls " + thousands(int64(before.IssuerCalls)) + " "
		if head := headerOf(d.screen()); before.IssuerCalls == 0 || !strings.Contains(head, want) {
			t.Errorf("after x the header lacks %q (calls before: %d):\n%s", want, before.IssuerCalls, head)
		}
	})
}
