package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/charmbracelet/x/ansi"

	"tokentop/credential"
	"tokentop/internal/clock"
	"tokentop/issuer"
	"tokentop/scenario"
	"tokentop/session"
)

// testIssuer mints fixed-format JWTs on the bubble's clock and records
// revocations and injected faults.
type testIssuer struct {
	mu      sync.Mutex
	calls   int
	revoked []string
	faults  []issuer.Fault
}

func (i *testIssuer) Name() string { return "test issuer" }

// CacheIdentity names the test issuer's one configuration, so that a
// persisted session resumes across managers (issuer.CacheIdentifier).
func (i *testIssuer) CacheIdentity(func(string) string) string { return "test issuer" }

func (i *testIssuer) Issue(ctx context.Context, r issuer.Request) (credential.AccessToken, error) {
	i.mu.Lock()
	i.calls++
	i.mu.Unlock()
	lifetime := r.Lifetime
	if lifetime == 0 {
		lifetime = time.Hour
	}
	now := time.Now().Truncate(time.Second)
	return credential.AccessToken{Token: testToken(r.Identity, now, lifetime), ExpiresOn: now.Add(lifetime)}, nil
}

func (i *testIssuer) Revoke(ctx context.Context, identity string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.revoked = append(i.revoked, identity)
	return nil
}

func (i *testIssuer) InjectFault(f issuer.Fault) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.faults = append(i.faults, f)
	return nil
}

func (i *testIssuer) ClearFaults() {}

// withManager runs fn in a synctest bubble with a Manager holding the demo's
// three sessions, and a driver over the screen at 100x30. Virtual time in
// the bubble stands still unless every goroutine is blocked.
func withManager(t *testing.T, opts Options, fn func(t *testing.T, mgr *session.Manager, iss *testIssuer, d *driver)) {
	synctest.Test(t, func(t *testing.T) {
		iss := &testIssuer{}
		mgr, err := session.NewManager(session.Options{Issuer: iss, Faults: iss, Clock: opts.Clock})
		if err != nil {
			t.Fatal(err)
		}
		defer mgr.Close()
		for _, spec := range []scenario.Spec{
			{Name: "alice-chat", Identity: "alice", Proactive: true},
			{Name: "alice-voip", Identity: "alice", Proactive: true, Policy: "js"},
			{Name: "bob-calling", Identity: "bob", Proactive: true, Policy: "dotnet"},
		} {
			if _, err := mgr.Add(spec); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait() // the initial refreshes complete
		model := NewModel(mgr, opts)
		d := &driver{t: t, m: model}
		d.send(windowSize(100, 30))
		d.send(frameMsg{frame: model.be.Frame("")})
		fn(t, mgr, iss, d)
	})
}

func sessionEvents(t *testing.T, mgr *session.Manager, name string) []session.EventKind {
	t.Helper()
	s, ok := mgr.Get(name)
	if !ok {
		t.Fatalf("no session %q in the manager", name)
	}
	events, _ := s.Events()
	var kinds []session.EventKind
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

// rowOf returns the table line of a session.
func rowOf(screen, name string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, "> "), name+" ") {
			return l
		}
	}
	return ""
}

func TestDisposeKeyAsksThenDisposesTheSelectedSessionInTheManager(t *testing.T) {
	withManager(t, Options{}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		d.keys("d")
		if got := d.screen(); !strings.Contains(got, "Dispose session alice-chat?") {
			t.Fatalf("d did not ask for confirmation; screen:\n%s", got)
		}
		if s, _ := mgr.Get("alice-chat"); s.Snapshot().Disposed {
			t.Fatal("the session was disposed before the user confirmed")
		}
		d.keys("y")
		synctest.Wait()
		if s, _ := mgr.Get("alice-chat"); !s.Snapshot().Disposed {
			t.Fatal("d then y did not dispose alice-chat in the manager")
		}
		d.send(EventsMsg{N: 1})
		if row := rowOf(d.screen(), "alice-chat"); !strings.Contains(row, "disposed") {
			t.Errorf("table row does not say disposed: %q", row)
		}
		if s, _ := mgr.Get("alice-voip"); s.Snapshot().Disposed {
			t.Error("disposing alice-chat also disposed alice-voip")
		}
	})
}

func TestDisposeCancelledWithNLeavesTheSessionAlone(t *testing.T) {
	withManager(t, Options{}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		d.keys("d", "n")
		synctest.Wait()
		if s, _ := mgr.Get("alice-chat"); s.Snapshot().Disposed {
			t.Fatal("answering n still disposed the session")
		}
		if strings.Contains(d.screen(), "Dispose session") {
			t.Error("the prompt stayed after n")
		}
	})
}

func TestRefreshKeyRefreshesTheSelectedSession(t *testing.T) {
	withManager(t, Options{}, func(t *testing.T, mgr *session.Manager, iss *testIssuer, d *driver) {
		d.keys("down", "down") // bob-calling
		before := iss.calls
		d.keys("r")
		synctest.Wait()
		if iss.calls != before+1 {
			t.Errorf("issuer calls went from %d to %d, want one more", before, iss.calls)
		}
		kinds := sessionEvents(t, mgr, "bob-calling")
		if !slices.Contains(kinds, session.KindRefreshAsked) || !slices.Contains(kinds, session.KindRefreshSucceeded) {
			t.Errorf("bob-calling events = %v, want a requested and succeeded refresh", kinds)
		}
		if slices.Contains(sessionEvents(t, mgr, "alice-chat"), session.KindRefreshAsked) {
			t.Error("r refreshed alice-chat, which was not selected")
		}
	})
}

func TestSignOutKeyDisposesEverySessionOfTheIdentityAndRevokes(t *testing.T) {
	withManager(t, Options{}, func(t *testing.T, mgr *session.Manager, iss *testIssuer, d *driver) {
		d.keys("s")
		if got := d.screen(); !strings.Contains(got, "Sign out alice everywhere") {
			t.Fatalf("s did not ask for confirmation; screen:\n%s", got)
		}
		d.keys("y")
		synctest.Wait()
		for _, name := range []string{"alice-chat", "alice-voip"} {
			if s, _ := mgr.Get(name); !s.Snapshot().Disposed {
				t.Errorf("%s is not disposed after signing alice out", name)
			}
		}
		if s, _ := mgr.Get("bob-calling"); s.Snapshot().Disposed {
			t.Error("signing alice out disposed bob's session")
		}
		if !slices.Equal(iss.revoked, []string{"alice"}) {
			t.Errorf("revoked = %v, want [alice]", iss.revoked)
		}
		d.send(EventsMsg{N: 1})
		screen := d.screen()
		for _, name := range []string{"alice-chat", "alice-voip"} {
			if row := rowOf(screen, name); !strings.Contains(row, "signed out") {
				t.Errorf("row of %s does not say signed out: %q", name, row)
			}
		}
	})
}

func TestBurstKeyAsksForTheSizeAndStartsThatManyCallsInTheManager(t *testing.T) {
	withManager(t, Options{BurstSize: 4}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		d.keys("b")
		if got := d.screen(); !strings.Contains(got, "burst: concurrent GetToken calls on alice-chat: 4") {
			t.Fatalf("b did not ask for the burst size with the default 4 filled in:\n%s", got)
		}
		d.keys("backspace", "7", "enter")
		synctest.Wait()
		kinds := sessionEvents(t, mgr, "alice-chat")
		for _, want := range []session.EventKind{session.KindBurstStarted, session.KindBurstDone} {
			if !slices.Contains(kinds, want) {
				t.Errorf("alice-chat events %v lack %s", kinds, want)
			}
		}
		if s, _ := mgr.Get("alice-chat"); s.Stats().GetTokenCalls != 7 {
			t.Errorf("burst made %d GetToken calls, want the 7 typed", s.Stats().GetTokenCalls)
		}
		if d.m.status != "burst of 7 GetToken calls on alice-chat: started" {
			t.Errorf("status = %q", d.m.status)
		}
	})
}

func TestAbortWithNothingInFlightSaysSoAndAsksNothingOfTheManager(t *testing.T) {
	withManager(t, Options{}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		d.keys("a")
		synctest.Wait()
		if want := "alice-chat: nothing in flight to abort"; d.m.status != want {
			t.Errorf("after a with nothing in flight the status is %q, want %q", d.m.status, want)
		}
		if slices.Contains(sessionEvents(t, mgr, "alice-chat"), session.KindAbortAsked) {
			t.Error("a with nothing in flight still asked the manager to abort")
		}
	})
}

func TestFaultMenuInjectsTheChosenFaultForTheSelectedIdentity(t *testing.T) {
	withManager(t, Options{CanInjectFaults: true}, func(t *testing.T, mgr *session.Manager, iss *testIssuer, d *driver) {
		d.keys("down", "down", "f", "1")
		synctest.Wait()
		if len(iss.faults) != 1 {
			t.Fatalf("injected %d faults, want 1", len(iss.faults))
		}
		f := iss.faults[0]
		if f.Kind != issuer.FaultFail || f.Count != 3 || f.Identity != "bob" {
			t.Errorf("fault = %+v, want fail x3 for bob", f)
		}
	})
}

func TestNewSessionFormAddsASessionToTheManager(t *testing.T) {
	withManager(t, Options{}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		d.keys("n", "enter")
		if got := d.screen(); !strings.Contains(got, "identity is empty") {
			t.Errorf("submitting without an identity did not explain why; screen:\n%s", got)
		}
		// identity, scopes, policy (one right: js), proactive (off), static
		// (left off), lifetime 30m, callers 2, every 30s
		d.keys("d", "a", "v", "e", "tab", "tab", "right", "tab", "space", "tab", "tab", "ctrl+u")
		d.keys(strings.Split("30m", "")...)
		d.keys("tab", "ctrl+u", "2", "tab", "ctrl+u", "3", "0", "s")
		d.keys("enter")
		synctest.Wait()
		s, ok := mgr.Get("dave")
		if !ok {
			t.Fatalf("no session dave in the manager; sessions: %d", len(mgr.Sessions()))
		}
		if d.m.Selected() != "dave" {
			t.Errorf("after adding dave the selection is %q, want the new session", d.m.Selected())
		}
		spec := s.Spec()
		if spec.Policy != "js" || spec.Proactive || spec.Static || spec.Lifetime != 30*time.Minute || !slices.Equal(spec.Scopes, []string{"chat", "voip"}) ||
			spec.Callers != 2 || spec.CallInterval != 30*time.Second {
			t.Errorf("spec = %+v, want js, not proactive, not static, 30m, chat voip, 2 callers every 30s", spec)
		}
	})
}

func TestPauseAndSpeedKeysDriveThePacedLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := clock.NewPaced(time.Now(), 60)
		f := demoBackend(testNow)
		d := newDriver(t, f, Options{Clock: sc}, 100, 30)
		d.keys("p")
		if !sc.Paused() {
			t.Error("p did not pause the clock")
		}
		d.keys("+")
		if sc.Speed() != 120 {
			t.Errorf("+ set speed %v, want 120", sc.Speed())
		}
		d.keys("-", "-")
		if sc.Speed() != 30 {
			t.Errorf("- - set speed %v, want 30", sc.Speed())
		}
		d.keys("p")
		if sc.Paused() {
			t.Error("second p did not resume the clock")
		}
	})
}

func TestTimeKeysAreDisabledWithoutAControllableClock(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{Clock: clock.Real{}}, 100, 30)
	d.keys("?")
	if strings.Contains(d.screen(), "pause") {
		t.Error("full help offers pause although the clock cannot be paused")
	}
}

func TestSessionEventsRefreshTheScreenWithoutWaitingForTheTick(t *testing.T) {
	withManager(t, Options{}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		if err := mgr.Dispose("bob-calling"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if strings.Contains(rowOf(d.screen(), "bob-calling"), "disposed") {
			t.Fatal("the screen changed before any message arrived")
		}
		d.send(EventsMsg{N: 2})
		if row := rowOf(d.screen(), "bob-calling"); !strings.Contains(row, "disposed") {
			t.Errorf("after the events, bob-calling's row is %q, want disposed", row)
		}
	})
}

func TestDetailPaneShowsClaimsBadgesAndEventLogOfTheSelectedSession(t *testing.T) {
	withManager(t, Options{}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		d.keys("down")
		screen := d.screen()
		for _, want := range []string{"alice-voip 2/3", "decoded: ok", "signature: not checked", "time: valid",
			"sub 8:acs:alice", "signature <redacted>", "refresh-succeeded (initial)"} {
			if !strings.Contains(screen, want) {
				t.Errorf("screen lacks %q:\n%s", want, screen)
			}
		}
		s, _ := mgr.Get("alice-voip")
		raw := s.Snapshot().Token
		if sig := raw[strings.LastIndexByte(raw, '.')+1:]; strings.Contains(screen, sig) {
			t.Error("the screen shows the token's signature")
		}
	})
}

func TestFilterShowsOnlyMatchingSessionsAndEscClearsIt(t *testing.T) {
	withManager(t, Options{}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		d.keys("/", "b", "o", "b", "enter")
		screen := d.screen()
		if rowOf(screen, "alice-chat") != "" || rowOf(screen, "bob-calling") == "" {
			t.Errorf("filter bob shows the wrong rows:\n%s", screen)
		}
		d.keys("d") // acts on the only visible session
		if !strings.Contains(d.screen(), "Dispose session bob-calling?") {
			t.Error("after filtering, d does not target the visible session")
		}
		d.keys("esc", "esc")
		if rowOf(d.screen(), "alice-chat") == "" {
			t.Error("esc did not clear the filter")
		}
	})
}

func TestQuitKeysQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		d := newDriver(t, demoBackend(testNow), Options{}, 80, 24)
		d.keys(k)
		if !d.quit {
			t.Errorf("%s did not quit", k)
		}
	}
}

func TestTabMovesArrowKeysFromTheTableToTheEventLog(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{NoColor: true}, 80, 24)
	d.keys("tab", "down")
	if d.m.Selected() != "alice-chat" {
		t.Errorf("down with the log focused moved the table cursor to %s", d.m.Selected())
	}
	if !strings.Contains(d.screen(), "focus: event log") {
		t.Error("the screen does not say the event log has focus")
	}
	d.keys("tab", "down")
	if d.m.Selected() != "bob-calling" {
		t.Errorf("down with the table focused selected %s, want bob-calling", d.m.Selected())
	}
}

func TestArrowsPickAmongFilterMatchesWhileTyping(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{NoColor: true}, 100, 30)
	d.keys("/", "c", "a", "down")
	if d.m.Selected() != "carol-static" {
		t.Errorf("with filter ca, down selected %q, want carol-static (the second match)", d.m.Selected())
	}
	if d.m.mode != modeFilter {
		t.Error("down left the filter prompt")
	}
}

func TestShowSecretsShowsTheWholeTokenAndOnlyThen(t *testing.T) {
	for _, show := range []bool{false, true} {
		withManager(t, Options{ShowSecrets: show}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
			s, _ := mgr.Get("alice-chat")
			raw := s.Snapshot().Token
			// The token wraps over lines of the log: join them to look for it.
			var flat strings.Builder
			for _, l := range strings.Split(d.screen(), "\n") {
				flat.WriteString(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "token")))
			}
			if got := strings.Contains(flat.String(), raw); got != show {
				t.Errorf("ShowSecrets %v: whole token on screen %v; want %v", show, got, show)
			}
		})
	}
}

func TestSpeedKeysNeverReverseASpeedBeyondTheSteps(t *testing.T) {
	for _, tt := range []struct {
		start float64
		key   string
		want  string
	}{
		{2e6, "+", "already at the fastest speed"},
		{1e6, "+", "already at the fastest speed"},
		{0.005, "-", "already at the slowest speed"},
		{0.01, "-", "already at the slowest speed"},
	} {
		t.Run(tt.key+speedLabel(tt.start), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sc := clock.NewPaced(time.Now(), tt.start)
				d := newDriver(t, demoBackend(testNow), Options{Clock: sc, NoColor: true}, 100, 30)
				d.keys(tt.key)
				if sc.Speed() != tt.start {
					t.Errorf("%s at x%v changed the speed to x%v, want it left alone", tt.key, tt.start, sc.Speed())
				}
				if !strings.Contains(d.screen(), tt.want) {
					t.Errorf("%s at x%v: status does not say %q:\n%s", tt.key, tt.start, tt.want, d.screen())
				}
			})
		})
	}
}

func TestActionStatusSaysWhatFailedWithoutTheSuccessWord(t *testing.T) {
	f := demoBackend(testNow)
	d := newDriver(t, f, Options{NoColor: true, CanInjectFaults: true}, 120, 30)
	d.keys("r")
	if s := d.m.status; s != "refresh alice-chat: requested" {
		t.Errorf("after a refresh that worked the status is %q, want %q", s, "refresh alice-chat: requested")
	}
	f.err = errors.New("the issuer is down")
	d.keys("r")
	if s, want := ansi.Strip(d.m.status), "refresh alice-chat failed: the issuer is down"; s != want {
		t.Errorf("after a refresh that failed the status is %q, want %q", s, want)
	}
	d.keys("f", "enter")
	if s, want := ansi.Strip(d.m.status), "fault fail the next 3 calls (500) failed: the issuer is down"; s != want {
		t.Errorf("after a fault that failed the status is %q, want %q", s, want)
	}
}

func TestKeysTheIssuerCannotServeAreHiddenAndSayWhyWhenPressed(t *testing.T) {
	f := demoBackend(testNow)
	d := newDriver(t, f, Options{Clock: clock.Real{}, NoColor: true}, 200, 30)
	if s := d.screen(); strings.Contains(s, "fault") || strings.Contains(s, "pause") {
		t.Errorf("the help offers keys this issuer cannot serve:\n%s", s)
	}
	d.keys("?")
	if s := d.screen(); strings.Contains(s, "fault") || strings.Contains(s, "pause") || strings.Contains(s, "faster") {
		t.Errorf("the full help offers keys this issuer cannot serve:\n%s", s)
	}
	d.keys("?", "f")
	if d.m.mode != modeNormal {
		t.Error("f opened the fault menu although the issuer takes no faults")
	}
	if want := "faults need the fake issuer"; !strings.Contains(d.m.status, want) {
		t.Errorf("after f the status is %q, want it to say %q", d.m.status, want)
	}
	for _, k := range []string{"p", "+", "-"} {
		d.m.status = ""
		d.keys(k)
		if want := "time control needs the fake issuer"; !strings.Contains(d.m.status, want) {
			t.Errorf("after %s the status is %q, want it to say %q", k, d.m.status, want)
		}
	}
	if calls := f.Calls(); len(calls) != 0 {
		t.Errorf("disabled keys reached the backend: %v", calls)
	}
}

func TestProactiveFieldTakesYForYesAndNForNo(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{NoColor: true}, 100, 30)
	d.keys("n", "tab", "tab", "tab") // the proactive field, which starts at yes
	for _, step := range []struct {
		key  string
		want bool
	}{{"y", true}, {"n", false}, {"n", false}, {"y", true}, {"y", true}} {
		d.keys(step.key)
		if d.m.form.Proactive != step.want {
			t.Errorf("after %s proactive is %v, want %v", step.key, d.m.form.Proactive, step.want)
		}
	}
}

func TestHeaderCountsEventsTheSessionLogsNoLongerKeep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		iss := &testIssuer{}
		mgr, err := session.NewManager(session.Options{Issuer: iss, LogSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer mgr.Close()
		model := NewModel(mgr, Options{NoColor: true})
		d := &driver{t: t, m: model}
		d.send(windowSize(200, 30))
		d.send(frameMsg{frame: model.be.Frame("")})
		if h := strings.SplitN(d.screen(), "\n", 2)[0]; strings.Contains(h, "not kept") || strings.Contains(h, "dropped") {
			t.Errorf("with nothing trimmed the header still counts lost events: %q", h)
		}
		for _, name := range []string{"a", "b"} {
			if _, err := mgr.Add(scenario.Spec{Name: name, Identity: name, Proactive: true}); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		for _, name := range []string{"a", "b"} {
			if err := mgr.Refresh(name); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		var older uint64
		for _, s := range mgr.Sessions() {
			older += s.Stats().EventsOlder
		}
		if older == 0 {
			t.Fatal("the logs kept every event; the test needs some trimmed")
		}
		d.send(EventsMsg{N: 1})
		want := "events not kept " + thousands(int64(older))
		if h := strings.SplitN(d.screen(), "\n", 2)[0]; !strings.Contains(h, want) {
			t.Errorf("header %q lacks %q", h, want)
		}
	})
}
