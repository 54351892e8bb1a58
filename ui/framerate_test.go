package ui

import (
	"testing"
	"time"
)

// TestNextFrameDelay: an idle screen redraws when the seconds it shows
// change, at most once a frame interval and at least once a second.
func TestNextFrameDelay(t *testing.T) {
	at := func(ms int) time.Time { return time.Date(2025, 1, 1, 12, 0, 0, ms*int(time.Millisecond), time.UTC) }
	iv := 250 * time.Millisecond
	cases := []struct {
		name string
		f    frame
		want time.Duration
	}{
		{"wall clock, start of a second", frame{Now: at(0), Speed: 1}, time.Second},
		{"wall clock, mid second", frame{Now: at(400), Speed: 1}, 600 * time.Millisecond},
		{"wall clock, just before the next second", frame{Now: at(900), Speed: 1}, iv},
		{"virtual 2x", frame{Now: at(0), Speed: 2}, 500 * time.Millisecond},
		{"virtual 60x: capped at the frame rate", frame{Now: at(0), Speed: 60}, iv},
		{"virtual 0.1x: at least once a second", frame{Now: at(0), Speed: 0.1}, time.Second},
		{"paused", frame{Now: at(400), Speed: 1, Paused: true}, time.Second},
		{"no frame yet", frame{}, time.Second},
	}
	for _, c := range cases {
		if got := nextFrameDelay(c.f, iv); got != c.want {
			t.Errorf("%s: next frame in %v, want %v", c.name, got, c.want)
		}
	}
	if got := nextFrameDelay(frame{Now: at(0), Speed: 1}, 2*time.Second); got != 2*time.Second {
		t.Errorf("a frame interval above a second: next frame in %v, want the interval", got)
	}
}
