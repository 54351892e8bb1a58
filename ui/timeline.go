package ui

import (
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
)

// markKind is what happened at a point on the timeline.
type markKind int

const (
	markOK markKind = iota
	markFailed
	markAborted
	markDisposed
	markRestarted // tokentop restarted: the credential was dropped and started again
)

var markGlyphs = [...]string{markOK: "●", markFailed: "✗", markAborted: "○", markDisposed: "■", markRestarted: "↻"}
var markWords = [...]string{markOK: "ok", markFailed: "failed", markAborted: "aborted", markDisposed: "disposed", markRestarted: "restarted"}

// laneMark is one refresh attempt's outcome, the dispose or a restart, on the timeline.
type laneMark struct {
	At      time.Time
	Kind    markKind
	Latency time.Duration // for attempts; zero when unknown
}

// interval is a span of time during which the session held a valid token.
type interval struct{ From, To time.Time }

// timelineLane draws the last Span of virtual time up to Now as one row of
// cells: '═' where a valid token was held, '·' where none was, and a glyph on
// top for each attempt (● ok, ✗ failed, ○ aborted), for the dispose (■) and
// for a restart (↻).
type timelineLane struct {
	Now     time.Time
	Span    time.Duration
	Valid   []interval
	Marks   []laneMark
	Virtual bool // latencies are virtual time (the fake's, played on the virtual clock)
}

const (
	laneValid = "═"
	laneGap   = "·"
)

// Render draws the lane in exactly width cells.
func (l timelineLane) Render(width int, s Styles) string {
	if width <= 0 || l.Span <= 0 {
		return ""
	}
	start := l.Now.Add(-l.Span)
	cellOf := func(t time.Time) int {
		return int(float64(t.Sub(start)) / float64(l.Span) * float64(width))
	}
	kinds := make([]int8, width) // -1 gap, -2 valid, else a markKind
	for i := range kinds {
		kinds[i] = -1
	}
	for _, v := range l.Valid {
		from, to := max(cellOf(v.From), 0), min(cellOf(v.To), width-1)
		if v.To.Before(start) || v.From.After(l.Now) {
			continue
		}
		for i := from; i <= to; i++ {
			kinds[i] = -2
		}
	}
	for _, mk := range l.Marks {
		i := cellOf(mk.At)
		if i < 0 || i >= width || mk.At.After(l.Now) {
			continue
		}
		if kinds[i] < 0 || markKind(kinds[i]) < mk.Kind { // a worse outcome wins the cell
			kinds[i] = int8(mk.Kind)
		}
	}
	var out strings.Builder
	for i := 0; i < width; {
		j := i
		for j < width && kinds[j] == kinds[i] {
			j++
		}
		glyph, style := l.glyph(kinds[i], s)
		out.WriteString(style.Render(strings.Repeat(glyph, j-i)))
		i = j
	}
	return out.String()
}

func (l timelineLane) glyph(k int8, s Styles) (string, lipgloss.Style) {
	switch k {
	case -2:
		return laneValid, s.LaneValid
	case -1:
		return laneGap, s.LaneGap
	}
	mk := markKind(k)
	switch mk {
	case markOK:
		return markGlyphs[mk], s.LaneOK
	case markFailed:
		return markGlyphs[mk], s.LaneFailed
	case markAborted:
		return markGlyphs[mk], s.LaneAborted
	default:
		return markGlyphs[mk], s.LaneDisposed
	}
}

// Recent describes the latest marks within the lane's span in words, newest
// last, fitting width: "ok 10:31:05 (41ms)  failed 10:45:00". Older marks
// are left out, as the lane beside its "last 60m" label leaves them out.
func (l timelineLane) Recent(width int) string {
	var parts []string
	used := 0
	start := l.Now.Add(-l.Span)
	for i := len(l.Marks) - 1; i >= 0; i-- {
		mk := l.Marks[i]
		if mk.At.Before(start) {
			break // marks are in time order: the rest are older
		}
		if mk.At.After(l.Now) {
			continue
		}
		p := markWords[mk.Kind] + " " + mk.At.Format("15:04:05")
		if mk.Latency > 0 {
			if l.Virtual {
				p += " (" + latency(mk.Latency) + " virtual)"
			} else {
				p += " (" + latency(mk.Latency) + ")"
			}
		}
		if used+len(p)+2 > width {
			break
		}
		used += len(p) + 2
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "no attempts in the last " + spanLabel(l.Span)
	}
	slices.Reverse(parts)
	return strings.Join(parts, "  ")
}
