package ui

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/scenario"
	"tokentop/session"
)

// Issue 22, bug 1 (the screen's part): after a restart, a session resumed
// from the cache showed no token on its "last 60m" line, while its detail
// said "from cache", and the restart read "disposed".
func TestARestartIsLabelledRestartedAndACachedTokenStaysOnTheLane(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		iss := &testIssuer{}
		mgr, err := session.NewManager(session.Options{Issuer: iss, Faults: iss})
		if err != nil {
			t.Fatal(err)
		}
		defer mgr.Close()
		for _, spec := range []scenario.Spec{
			{Name: "kept", Identity: "k", Proactive: true, IssueInitial: true, Persist: true},
			{Name: "lost", Identity: "l", Proactive: true, IssueInitial: true},
		} {
			if _, err := mgr.Add(spec); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		time.Sleep(25 * time.Minute)
		if err := mgr.Restart(); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		d := &driver{t: t, m: NewModel(mgr, Options{NoColor: true, Timeline: 60 * time.Minute})}
		d.send(windowSize(120, 30))
		d.send(frameMsg{frame: d.m.be.Frame("")})
		screen := d.screen()
		lane := laneOf(screen)
		lane = lane[strings.Index(lane, markGlyphs[markOK]):] // before the run, no token
		if strings.Contains(lane, laneGap) || !strings.Contains(lane, markGlyphs[markRestarted]) {
			t.Errorf("kept's lane has a gap or no restart mark after its restart from the cache: %q\n%s", lane, screen)
		}
		for _, want := range []string{"restarted 00:25:00", "restarted: the credential and the token it held in memory are dropped",
			"restored from cache (expires 01:00:00): refresh-scheduled"} {
			if !strings.Contains(screen, want) {
				t.Errorf("kept's detail lacks %q:\n%s", want, screen)
			}
		}
		if strings.Contains(screen, "disposed") {
			t.Errorf("kept's restart still reads disposed:\n%s", screen)
		}
		d.keys("down") // lost asked the issuer again: the restart is marked, the old token ends there
		screen = d.screen()
		if !strings.Contains(screen, "restarted 00:25:00") || strings.Contains(screen, "restored from cache") {
			t.Errorf("lost's detail:\n%s", screen)
		}
	})
}

// laneOf returns the timeline lane of the detail pane, between its label
// and "now".
func laneOf(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if i := strings.Index(l, " last "); i == 0 {
			l = strings.TrimSpace(l)
			l = strings.TrimPrefix(l, "last 60m ")
			return strings.TrimSuffix(l, " now")
		}
	}
	return ""
}

// Issue 23: a disposed or signed-out session's detail said "time: valid …
// (in 34m)" about a token it no longer uses.
func TestAnEndedSessionsDetailGivesNoCountdownToItsOldToken(t *testing.T) {
	for _, st := range []state{stateDisposed, stateSignedOut} {
		f := demoBackend(testNow)
		f.sessions[0].State = st
		d := newDriver(t, f, Options{NoColor: true}, 120, 30)
		screen := d.screen()
		if strings.Contains(screen, "time: valid") || strings.Contains(screen, "(in 48m)") {
			t.Errorf("%v: the detail still counts down to the token:\n%s", st, screen)
		}
		if want := "token no longer used (" + st.String() + ")"; !strings.Contains(screen, want) {
			t.Errorf("%v: the detail lacks %q:\n%s", st, want, screen)
		}
	}
}

// Issue 23: a burst on a signed-out session said "10 calls, 10 failed"
// without why.
func TestABurstOnASignedOutSessionSaysWhyItsCallsFail(t *testing.T) {
	withManager(t, Options{NoColor: true}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		d.keys("s", "y")
		synctest.Wait()
		d.send(EventsMsg{N: 1})
		d.keys("b", "enter")
		if want := "burst of 10 GetToken calls on alice-chat: started: every call will fail, alice-chat is signed out and serves no token"; d.m.status != want {
			t.Errorf("status %q, want %q", d.m.status, want)
		}
		synctest.Wait()
		d.send(EventsMsg{N: 1})
		log := d.m.frame.Detail.Log
		if last := log[len(log)-1].Text; !strings.HasPrefix(last, "burst-done: 10 calls, 10 failed") ||
			!strings.HasSuffix(last, "(the session is signed out: its credential serves no token)") {
			t.Errorf("the burst's outcome does not say why its calls failed: %q\n%s", last, d.screen())
		}
	})
}
