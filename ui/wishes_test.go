package ui

import (
	"slices"
	"strings"
	"testing"
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
