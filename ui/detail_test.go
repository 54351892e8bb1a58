package ui

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
	"tokentop/session"
)

func TestRevokedTokenSaysRevokedInsteadOfTimeValid(t *testing.T) {
	withManager(t, Options{NoColor: true}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		if s := d.screen(); !strings.Contains(s, "time: valid") {
			t.Fatalf("before the sign-out alice-chat's token is not time-valid:\n%s", s)
		}
		d.keys("s", "y")
		synctest.Wait()
		d.send(EventsMsg{N: 1})
		s := d.screen()
		if !strings.Contains(s, "revoked (signed out)") || strings.Contains(s, "time: valid") {
			t.Errorf("alice-chat's revoked token does not say revoked:\n%s", s)
		}
	})
}

func TestSignedOutTokenTheIssuerDidNotRevokeSaysSignedOut(t *testing.T) {
	f := demoBackend(testNow)
	f.sessions[0].State = stateSignedOut
	f.details["alice-chat"].SignedOut = true
	d := newDriver(t, f, Options{NoColor: true}, 120, 30)
	if s := d.screen(); !strings.Contains(s, "token no longer used (signed out, not revoked)") || strings.Contains(s, "time: valid") {
		t.Errorf("a signed-out token the issuer did not revoke is not marked signed out:\n%s", s)
	}
}

func TestResourceRefusalsAreShownInTheDetail(t *testing.T) {
	f := demoBackend(testNow)
	f.sessions[0].ResourceAccepted, f.sessions[0].ResourceRefused = 1204, 3
	d := newDriver(t, f, Options{NoColor: true}, 140, 30)
	if s := d.screen(); !strings.Contains(s, "resource: 1,204 accepted, 3 refused") {
		t.Errorf("the detail does not show the resource refusals:\n%s", s)
	}
	d.keys("down") // bob's callers make no resource checks: nothing to show
	if s := d.screen(); strings.Contains(s, "resource:") {
		t.Errorf("a session without resource checks shows a resource line:\n%s", s)
	}
}

func TestLatencyIsWrittenAsTheEventTextsWriteIt(t *testing.T) {
	for _, d := range []time.Duration{527 * time.Microsecond, 2340 * time.Microsecond, 38600 * time.Microsecond,
		999600 * time.Microsecond, 1234567 * time.Microsecond, 14 * time.Second, 4*time.Minute + 27*time.Second} {
		text := session.Event{Kind: session.KindRefreshSucceeded, Latency: d}.Text()
		if want := " in " + latency(d); !strings.Contains(text, want) {
			t.Errorf("latency %v: the screen writes %q, the event text %q", d, latency(d), text)
		}
	}
}

func TestLatencyReadsTheSameInTheTableTheTimelineAndTheEventLog(t *testing.T) {
	const lat = 38600 * time.Microsecond // 38.6 ms: truncating says 38, rounding 39
	f := demoBackend(testNow)
	f.sessions[0].LastLatency = lat
	dt := f.details["alice-chat"]
	dt.Marks = []laneMark{{At: testNow.Add(-time.Minute), Kind: markOK, Latency: lat}}
	ev := session.Event{Kind: session.KindRefreshSucceeded, Latency: lat}
	dt.Log = append(dt.Log, logLine{testNow.Add(-time.Minute), ev.Text()})
	if !strings.Contains(ev.Text(), "39ms") {
		t.Fatalf("the event text %q does not round 38.6ms to 39ms; the screen must follow the event texts", ev.Text())
	}
	d := newDriver(t, f, Options{NoColor: true}, 120, 30)
	screen := d.screen()
	if row := rowOf(screen, "alice-chat"); !strings.HasSuffix(strings.TrimSpace(row), "39ms") {
		t.Errorf("the table's LAT reads %q, want 39ms as the log does", row)
	}
	if !strings.Contains(screen, "(39ms)") || strings.Contains(screen, "38ms") {
		t.Errorf("the timeline's latency disagrees with the log's 39ms:\n%s", screen)
	}
}

// virtualClock is a clock that is not the wall clock, as the fake issuer's
// scaled and sim clocks are not.
type virtualClock struct{ clock.Real }

func TestLatenciesAreLabelledVirtualWhenTheClockIsNotReal(t *testing.T) {
	for _, tt := range []struct {
		clock   clock.Clock
		virtual bool
	}{{clock.Real{}, false}, {virtualClock{}, true}} {
		d := newDriver(t, demoBackend(testNow), Options{Clock: tt.clock, NoColor: true}, 120, 30)
		screen := d.screen()
		header := strings.Split(screen, "\n")[2]
		if got := strings.HasSuffix(strings.TrimSpace(header), "VLAT"); got != tt.virtual {
			t.Errorf("virtual %v: column header %q", tt.virtual, header)
		}
		if got := strings.Contains(screen, "(41ms virtual)"); got != tt.virtual {
			t.Errorf("virtual %v: the timeline's latency is labelled virtual: %v\n%s", tt.virtual, got, screen)
		}
		d.keys("?")
		if got := strings.Contains(d.screen(), "VLAT: the issuer's latency in virtual time"); got != tt.virtual {
			t.Errorf("virtual %v: the full help explains VLAT: %v", tt.virtual, got)
		}
	}
}

func TestFullHelpExplainsTheBarsWindowMarker(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{NoColor: true}, 120, 30)
	d.keys("?")
	if s := d.screen(); !strings.Contains(s, "| where its refresh window opens") {
		t.Errorf("the full help does not explain the | in the bars:\n%s", s)
	}
}
