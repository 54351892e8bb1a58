package ui

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/charmbracelet/x/ansi"

	"tokentop/fakeissuer"
	"tokentop/session"
)

func TestRefreshKeySaysWhyAStaticOrEndedSessionDoesNotRefresh(t *testing.T) {
	f := demoBackend(testNow)
	f.sessions[1].State = stateDisposed
	d := newDriver(t, f, Options{NoColor: true}, 120, 30)
	d.keys("down", "r")
	if want := "bob-calling is disposed: nothing to refresh"; d.m.status != want {
		t.Errorf("r on a disposed session: status %q, want %q", d.m.status, want)
	}
	d.keys("down", "r")
	if want := "carol-static: static sessions never refresh"; !strings.HasPrefix(d.m.status, want) {
		t.Errorf("r on a static session: status %q, want it to start %q", d.m.status, want)
	}
	if calls := f.Calls(); len(calls) != 0 {
		t.Errorf("r reached the backend for sessions that cannot refresh: %v", calls)
	}
	f.mu.Lock()
	f.sessions[2].HasToken = false // a static session whose token never came: r asks again
	f.mu.Unlock()
	d.send(EventsMsg{N: 1})
	d.keys("r")
	if calls := f.Calls(); !slices.Equal(calls, []string{"refresh carol-static"}) {
		t.Errorf("r on a static session without its token: calls %v, want it asked again", calls)
	}
}

func TestAbortKeyAbortsOnlyWhatIsInFlight(t *testing.T) {
	f := demoBackend(testNow)
	f.sessions[0].State, f.sessions[0].InFlight = stateRefreshing, 1
	d := newDriver(t, f, Options{NoColor: true}, 120, 30)
	d.keys("a")
	if calls := f.Calls(); !slices.Equal(calls, []string{"abort alice-chat"}) {
		t.Errorf("a with a refresh in flight: calls %v", calls)
	}
	d.keys("down", "a")
	if want := "bob-calling: nothing in flight to abort"; d.m.status != want {
		t.Errorf("a with nothing in flight: status %q, want %q", d.m.status, want)
	}
	if calls := f.Calls(); len(calls) != 1 {
		t.Errorf("a with nothing in flight reached the backend: %v", calls)
	}
}

func TestFaultMenuClearAllSaysFaultsClearedAndDigitsInjectAtOnce(t *testing.T) {
	f := demoBackend(testNow)
	d := newDriver(t, f, Options{NoColor: true, CanInjectFaults: true}, 100, 30)
	d.keys("f")
	screen := d.screen()
	if strings.Contains(screen, "issuer  for") || !strings.Contains(screen, "Inject a fault at the issuer for alice's token requests") {
		t.Errorf("the fault menu's title is not one sentence with single spaces:\n%s", screen)
	}
	d.keys("5")
	if d.m.status != "faults cleared" {
		t.Errorf("clearing all faults reports %q, want %q", d.m.status, "faults cleared")
	}
	d.keys("f", "2")
	if want := "fault throttle the next 3 calls (429): injected"; d.m.status != want {
		t.Errorf("a digit reports %q, want %q", d.m.status, want)
	}
	want := []string{`fault "clear all faults" on alice-chat`, `fault "throttle the next 3 calls (429)" on alice-chat`}
	if calls := f.Calls(); !slices.Equal(calls, want) {
		t.Errorf("calls %v, want %v", calls, want)
	}
}

func TestBurstPromptRefusesASizeOutOfRangeAndEscCancels(t *testing.T) {
	f := demoBackend(testNow)
	d := newDriver(t, f, Options{NoColor: true}, 120, 30)
	for _, v := range []string{"0", "100001"} {
		d.keys("b", "ctrl+u")
		d.keys(strings.Split(v, "")...)
		d.keys("x", "enter") // x is not a digit: ignored
		if d.m.mode != modeBurst {
			t.Fatalf("burst size %s was accepted", v)
		}
		if want := `burst size "` + v + `": type a number of calls from 1 to 100000`; ansi.Strip(d.m.status) != want {
			t.Errorf("status %q, want %q", ansi.Strip(d.m.status), want)
		}
		d.keys("esc")
	}
	if d.m.mode != modeNormal || len(f.Calls()) != 0 {
		t.Errorf("esc left mode %v; calls %v", d.m.mode, f.Calls())
	}
	d.keys("b", "ctrl+u", "enter") // blank: the default
	if calls := f.Calls(); !slices.Equal(calls, []string{"burst alice-chat 10"}) {
		t.Errorf("a blank burst size: calls %v, want the default 10", calls)
	}
}

func TestSortKeyCyclesTheOrdersMarksTheColumnAndKeepsTheSelection(t *testing.T) {
	f := demoBackend(testNow)
	f.sessions[0].Name = "zed-chat" // added first, last by name
	f.details["zed-chat"] = f.details["alice-chat"]
	d := newDriver(t, f, Options{NoColor: true}, 120, 30)
	order := func() []string {
		var names []string
		for _, i := range d.m.visible {
			names = append(names, d.m.frame.Sessions[i].Name)
		}
		return names
	}
	header := func() string { return strings.Split(d.screen(), "\n")[2] }
	for _, step := range []struct {
		want   []string
		marked string
	}{
		{[]string{"bob-calling", "carol-static", "zed-chat"}, "NAME▲"},
		{[]string{"carol-static", "bob-calling", "zed-chat"}, "EXPIRES IN▲"}, // expired 2m ago, 8m left, 48m left
		{[]string{"bob-calling", "zed-chat", "carol-static"}, "REFR FAIL▼ "}, // the mark follows the title it belongs to
		{[]string{"bob-calling", "zed-chat", "carol-static"}, "LAT▼"},        // 1.2s, 41ms, none
		{[]string{"zed-chat", "bob-calling", "carol-static"}, ""},
	} {
		d.keys("o")
		if got := order(); !slices.Equal(got, step.want) {
			t.Errorf("%s: rows %v, want %v", d.m.status, got, step.want)
		}
		if h := header(); step.marked != "" && !strings.Contains(h, step.marked) || strings.Count(h, "▲")+strings.Count(h, "▼") != min(len(step.marked), 1) {
			t.Errorf("%s: header %q, want only %q marked", d.m.status, h, step.marked)
		}
		if d.m.Selected() != "zed-chat" {
			t.Errorf("%s: the selection moved to %s", d.m.status, d.m.Selected())
		}
	}
}

func TestRemoveKeyRemovesOnlyADisposedSession(t *testing.T) {
	withManager(t, Options{NoColor: true}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		d.keys("x")
		synctest.Wait()
		if want := "alice-chat is valid: only a disposed session can be removed (d disposes it)"; d.m.status != want {
			t.Errorf("x on a live session: status %q, want %q", d.m.status, want)
		}
		if _, ok := mgr.Get("alice-chat"); !ok {
			t.Fatal("x removed a live session")
		}
		d.keys("d", "y")
		synctest.Wait()
		d.send(EventsMsg{N: 1})
		d.keys("x")
		synctest.Wait()
		if _, ok := mgr.Get("alice-chat"); ok {
			t.Error("x did not remove the disposed alice-chat from the manager")
		}
		if s := d.screen(); rowOf(s, "alice-chat") != "" || !strings.Contains(s, "remove alice-chat: removed") {
			t.Errorf("after x the screen still lists alice-chat or does not say it was removed:\n%s", s)
		}
	})
}

func TestSpeedStepsSpanTheSpeedFlagsRange(t *testing.T) {
	if first, last := speedSteps[0], speedSteps[len(speedSteps)-1]; first != fakeissuer.MinWarp || last != fakeissuer.MaxWarp {
		t.Errorf("speed steps run from x%v to x%v, want --speed's x%v to x%v", first, last, fakeissuer.MinWarp, fakeissuer.MaxWarp)
	}
	for i := 1; i < len(speedSteps); i++ {
		if r := speedSteps[i] / speedSteps[i-1]; r <= 1 || r > 3.6 {
			t.Errorf("step x%v to x%v is a factor %.2f, want each step 1 to 3.6 times the last", speedSteps[i-1], speedSteps[i], r)
		}
	}
	presses, s := 0, 0.01
	for s < 1e6 {
		s = nextSpeed(s, 1)
		presses++
	}
	if presses > 25 {
		t.Errorf("+ takes %d presses from x0.01 to x1,000,000", presses)
	}
}
