package ui

import (
	"testing"
	"testing/synctest"
	"time"

	"tokentop/session"
)

func TestGoldenScreens(t *testing.T) {
	tests := []struct {
		name          string
		width, height int
		setup         func(*fakeBackend)
		keys          []string
	}{
		{name: "demo_start", width: 120, height: 30, setup: func(f *fakeBackend) {
			*f = *demoBackend(testNow)
			start := testNow.Add(-5 * time.Second)
			for i := range f.sessions {
				sv := &f.sessions[i]
				sv.State, sv.IssuedAt, sv.ExpiresOn = stateValid, start, start.Add(time.Hour)
				sv.Refreshes, sv.Failures, sv.LastLatency = 1, 0, 38*time.Millisecond
			}
			f.sessions[2].Refreshes, f.sessions[2].LastLatency = 0, 0
			f.totals = totals{IssuerCalls: 3, TokensServed: 3}
			d := f.details["alice-chat"]
			d.Token = testToken("alice", start, time.Hour)
			d.Valid = []interval{{start, testNow}}
			d.Marks = []laneMark{{At: start, Kind: markOK, Latency: 38 * time.Millisecond}}
			d.Log = []logLine{{start, "session-added"}, {start, "refresh-succeeded (initial) in 38ms; expires " + start.Add(time.Hour).Format("15:04:05")}}
		}},
		{name: "mid_refresh", width: 120, height: 30, keys: []string{"down"}, setup: func(f *fakeBackend) {
			f.sessions[1].State, f.sessions[1].Waiters = stateRefreshing, 3
			f.details["bob-calling"].Log = append(f.details["bob-calling"].Log,
				logLine{testNow.Add(-3 * time.Second), "refresh-started (on-demand) attempt 2; 3 waiting"})
		}},
		{name: "failed_session", width: 120, height: 30, keys: []string{"down"}, setup: func(f *fakeBackend) {
			f.sessions[1].State = stateFailed
			f.sessions[1].Failures = 2
			f.details["bob-calling"].Log = append(f.details["bob-calling"].Log,
				logLine{testNow.Add(-time.Minute), "refresh-failed (on-demand) attempt 2 in 250ms: issuer answered 500; proactive refresh stops (js policy)"})
			f.details["bob-calling"].Marks = append(f.details["bob-calling"].Marks,
				laneMark{At: testNow.Add(-time.Minute), Kind: markFailed, Latency: 250 * time.Millisecond})
		}},
		{name: "disposed_session", width: 120, height: 30, setup: func(f *fakeBackend) {
			f.sessions[0].State = stateDisposed
			d := f.details["alice-chat"]
			d.Valid[len(d.Valid)-1].To = testNow.Add(-4 * time.Minute)
			d.Marks = append(d.Marks, laneMark{At: testNow.Add(-4 * time.Minute), Kind: markDisposed})
			d.Log = append(d.Log, logLine{testNow.Add(-4 * time.Minute), "dispose-requested"},
				logLine{testNow.Add(-4 * time.Minute), "disposed"})
		}},
		{name: "help", width: 120, height: 30, keys: []string{"?"}},
		{name: "help_80x24", width: 80, height: 24, keys: []string{"?"}},
		{name: "too_small_79x24", width: 79, height: 24},
		{name: "describe_80x24", width: 80, height: 24, keys: []string{"enter"}},
		// Issue 23, bug 10: the sign-out demo's proof, the resource count,
		// stays on screen at the minimum size (the badges wrap).
		{name: "signed_out_80x24", width: 80, height: 24, setup: func(f *fakeBackend) {
			f.sessions[0].State = stateSignedOut
			f.sessions[0].ResourceAccepted, f.sessions[0].ResourceRefused = 60, 8
			d := f.details["alice-chat"]
			d.SignedOut, d.Revoked = true, true
			d.Log = append(d.Log, logLine{testNow.Add(-time.Minute), "signed-out: identity alice"},
				logLine{testNow.Add(-time.Minute), "revoked: identity alice"})
		}},
		{name: "too_small_80x23", width: 80, height: 23, keys: []string{"/", "b"}},
		{name: "demo_80x24", width: 80, height: 24},
		{name: "demo_200x50", width: 200, height: 50},
		{name: "fault_menu", width: 100, height: 30, keys: []string{"f", "down"}},
		{name: "new_session_form", width: 100, height: 30, keys: []string{"n", "d", "a", "v", "e", "tab", "tab", "right"}},
		{name: "confirm_dispose", width: 100, height: 30, keys: []string{"d"}},
		{name: "filter", width: 100, height: 30, keys: []string{"/", "b", "o"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := demoBackend(testNow)
			if tt.setup != nil {
				tt.setup(f)
			}
			d := newDriver(t, f, Options{Issuer: "fake (in-process)", NoColor: true, CanInjectFaults: true}, tt.width, tt.height)
			d.keys(tt.keys...)
			screen := d.screen()
			checkGeometry(t, screen, tt.width, tt.height)
			requireGolden(t, tt.name, screen)
		})
	}
}

// TestGoldenManagerScreen draws a real Manager's sessions through the
// adapter, in a synctest bubble so that every time and token is fixed: the
// sessions live 52 virtual minutes (through their proactive refresh), then
// one is disposed and an identity is signed out.
func TestGoldenManagerScreen(t *testing.T) {
	withManager(t, Options{Issuer: "test issuer", NoColor: true, CanInjectFaults: true}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		time.Sleep(52 * time.Minute)
		synctest.Wait()
		d.keys("d", "y")
		synctest.Wait()
		d.keys("down", "down", "s", "y")
		synctest.Wait()
		time.Sleep(time.Minute)
		d.keys("up", "up")
		d.send(EventsMsg{N: 1})
		d.send(windowSize(120, 30))
		screen := d.screen()
		checkGeometry(t, screen, 120, 30)
		requireGolden(t, "manager_screen", screen)
	})
}
