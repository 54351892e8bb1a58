package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"tokentop/credential"
	"tokentop/internal/clock"
	"tokentop/session"
)

func TestShiftOReversesTheOrderAndFlipsTheMark(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{NoColor: true}, 120, 30)
	order := func() []string {
		var names []string
		for _, i := range d.m.visible {
			names = append(names, d.m.frame.Sessions[i].Name)
		}
		return names
	}
	d.keys("O") // the order added, reversed: newest first
	if got, want := order(), []string{"carol-static", "bob-calling", "alice-chat"}; !slices.Equal(got, want) {
		t.Errorf("O on the order added: rows %v, want %v", got, want)
	}
	d.keys("o", "o") // expiry, reversed: latest first
	if got, want := order(), []string{"alice-chat", "bob-calling", "carol-static"}; !slices.Equal(got, want) {
		t.Errorf("O on expiry: rows %v, want %v", got, want)
	}
	if h := strings.Split(d.screen(), "\n")[2]; !strings.Contains(h, "EXPIRES IN▼") {
		t.Errorf("reversed expiry: header %q, want EXPIRES IN▼", h)
	}
	if want := "sorted by expiry (soonest first), reversed"; d.m.status != want {
		t.Errorf("status %q, want %q", d.m.status, want)
	}
	d.keys("O")
	if got, want := order(), []string{"carol-static", "bob-calling", "alice-chat"}; !slices.Equal(got, want) {
		t.Errorf("second O: rows %v, want soonest expiry first %v", got, want)
	}
}

func TestEJumpsToTheNextFailingSessionAndWrapsRound(t *testing.T) {
	f := demoBackend(testNow)
	f.sessions[1].State = stateValidFailed
	d := newDriver(t, f, Options{NoColor: true}, 120, 30)
	for _, want := range []string{"bob-calling", "carol-static", "bob-calling"} { // carol is expired
		d.keys("e")
		if d.m.Selected() != want {
			t.Errorf("e selected %q, want %q", d.m.Selected(), want)
		}
	}
	if want := "bob-calling is valid, refresh failed"; d.m.status != want {
		t.Errorf("status %q, want %q", d.m.status, want)
	}
	f.sessions[1].State, f.sessions[2].State = stateValid, stateValid
	d.send(EventsMsg{N: 1})
	d.keys("e")
	if want := "no session is failing or needs attention"; d.m.status != want || d.m.Selected() != "bob-calling" {
		t.Errorf("e with nothing failing: status %q, selection %q", d.m.status, d.m.Selected())
	}
}

func TestAFailedCredentialWithAValidTokenReadsValidRefreshFailed(t *testing.T) {
	f := demoBackend(testNow)
	f.sessions[1].State = stateValidFailed
	for _, w := range []int{80, 120} {
		d := newDriver(t, f, Options{NoColor: true}, w, 24)
		row := rowOf(d.screen(), "bob-calling")
		want := "valid, refr ✗"
		if w >= 110 {
			want = "valid, refresh failed"
		}
		if !strings.Contains(row, want) {
			t.Errorf("at width %d bob's row %q lacks %q", w, row, want)
		}
	}
}

// Issue 23: r during a Retry-After sends at once (documented) and nothing said so.
func TestRefreshDuringARetryAfterSaysItSendsAtOnce(t *testing.T) {
	f := demoBackend(testNow)
	f.sessions[0].State, f.sessions[0].NextAt, f.sessions[0].RetryAfter = stateRetrying, testNow.Add(30*time.Second), true
	d := newDriver(t, f, Options{NoColor: true}, 120, 30)
	d.keys("r")
	if want := "refresh alice-chat: sent at once, not waiting for the issuer's Retry-After (the retry was due 10:42:47)"; d.m.status != want {
		t.Errorf("status %q, want %q", d.m.status, want)
	}
	d.keys("down", "r")
	if want := "refresh bob-calling: requested"; d.m.status != want {
		t.Errorf("status %q, want %q", d.m.status, want)
	}
}

// retryAfterErr is an issuer error that asks for a wait, as a 429 does.
type retryAfterErr struct{}

func (retryAfterErr) Error() string             { return "429 Too Many Requests" }
func (retryAfterErr) RetryDelay() time.Duration { return 30 * time.Second }

func TestTheAdapterNotesARetryAfterThatHoldsOffTheRetry(t *testing.T) {
	b := newManagerBackend(nil, clock.Real{})
	snap := session.Snapshot{Credential: credential.Snapshot{Phase: credential.PhaseRetrying,
		LastErr: fmt.Errorf("refresh: %w", retryAfterErr{}), NextRefreshAt: testNow.Add(30 * time.Second)}}
	if sv := b.view(snap, testNow); !sv.RetryAfter {
		t.Error("a retry held off by Retry-After is not noted")
	}
	if sv := b.view(snap, testNow.Add(time.Minute)); sv.RetryAfter {
		t.Error("a Retry-After whose wait is over is still noted")
	}
	snap.Credential.LastErr = errors.New("500")
	if sv := b.view(snap, testNow); sv.RetryAfter {
		t.Error("a failure without Retry-After is noted as one")
	}
}

// Issue 23, bug 10: at the documented minimum of 80x24 the help lines were
// cut ("/ sear…"); the help page and its legend fit whole.
func TestTheHelpPageAndItsLegendFitEightyByTwentyFour(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{NoColor: true, Clock: clock.NewSim(testNow)}, 80, 24)
	d.keys("?")
	screen := d.screen()
	checkGeometry(t, screen, 80, 24)
	if strings.Contains(screen, "…") {
		t.Errorf("the help page is cut at 80x24:\n%s", screen)
	}
	for _, want := range []string{"enter  describe", "q quit", "signed out", "↻ restarted", "events not kept", "VLAT: the issuer's latency"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the help page at 80x24 lacks %q:\n%s", want, screen)
		}
	}
	d.keys("esc")
	if strings.Contains(d.screen(), "STATE:") {
		t.Error("esc did not close the help page")
	}
}

// The row paints stopped at "signed out": an unselected "needs attention"
// row indexed past them.
func TestEveryStateDrawsInAnUnselectedRow(t *testing.T) {
	for st := range stateCount {
		f := demoBackend(testNow)
		f.sessions[1].State = st
		d := newDriver(t, f, Options{}, 120, 30) // in colour: the paints are used
		if row := ansi.Strip(rowOf(ansi.Strip(d.screen()), "bob-calling")); !strings.Contains(row, stateLabel(st, 0, time.Time{}, 21)) {
			t.Errorf("state %v: row %q", st, row)
		}
	}
}
