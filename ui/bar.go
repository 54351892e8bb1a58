package ui

import (
	"strings"
	"time"
)

// countdownBar draws a token's remaining validity as a bar that drains from
// right to left. The bar's full length is the token's lifetime, and a '|'
// marks the refresh-window edge: once the fill has drained past the marker,
// the token is inside its window and a proactive refresh is due.
type countdownBar struct {
	Lifetime  time.Duration // validity of the token when it was issued; the bar's scale
	Remaining time.Duration // time left until expiry; negative once expired
	Window    time.Duration // the policy's expiring-soon window
}

const (
	barFull   = "█"
	barEmpty  = "░"
	barMarker = "|"
)

// Render draws the bar in exactly width cells: the fill in fill, the
// drained part in empty and the window marker in marker.
func (b countdownBar) Render(width int, fill, empty, marker paint) string {
	if width <= 0 {
		return ""
	}
	if b.Lifetime <= 0 {
		return empty.Render(strings.Repeat(barEmpty, width))
	}
	filled := cellsFor(b.Remaining, b.Lifetime, width)
	if b.Window <= 0 { // no refresh window (a static token): no marker
		var out strings.Builder
		if filled > 0 {
			out.WriteString(fill.Render(strings.Repeat(barFull, filled)))
		}
		if filled < width {
			out.WriteString(empty.Render(strings.Repeat(barEmpty, width-filled)))
		}
		return out.String()
	}
	at := cellsFor(b.Window, b.Lifetime, width)
	if at >= width {
		at = width - 1
	}
	var out strings.Builder
	run := func(from, to int) { // cells [from, to) without the marker
		if to <= from {
			return
		}
		f := min(max(filled-from, 0), to-from)
		if f > 0 {
			out.WriteString(fill.Render(strings.Repeat(barFull, f)))
		}
		if e := to - from - f; e > 0 {
			out.WriteString(empty.Render(strings.Repeat(barEmpty, e)))
		}
	}
	run(0, at)
	out.WriteString(marker.Render(barMarker))
	run(at+1, width)
	return out.String()
}

// cellsFor scales part/whole onto width cells, rounding to nearest and
// clamping to [0, width].
func cellsFor(part, whole time.Duration, width int) int {
	if part <= 0 || whole <= 0 {
		return 0
	}
	n := int((float64(part)/float64(whole))*float64(width) + 0.5)
	return min(n, width)
}
