package session

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"tokentop/internal/durfmt"
)

// formatDuration is the one way session text writes a duration
// (durfmt.Format).
func formatDuration(d time.Duration) string { return durfmt.Format(d) }

// formatWhen writes a time of an event's text relative to the event's own
// time ref, on ref's virtual day (in ref's location): "21:25:14" on the same
// day, "tomorrow 21:25:14" on the next, and "2026-01-03 21:25:14" on any
// other (also when ref is zero), so that a time never reads as today's when
// it is not.
func formatWhen(t, ref time.Time) string {
	if !ref.IsZero() {
		t = t.In(ref.Location())
		ty, tm, td := t.Date()
		switch ry, rm, rd := ref.Date(); {
		case ty == ry && tm == rm && td == rd:
			return t.Format(time.TimeOnly)
		case sameDay(t, ref.AddDate(0, 0, 1)):
			return "tomorrow " + t.Format(time.TimeOnly)
		}
	}
	return t.Format(time.DateTime)
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// offsetLayout writes the time column of the headless text lines: an
// offset from the start of the run as "+H:MM:SS.mmm", its hours padded to
// the digits of the run's longest offset, so that every line of a run has
// the same width and the column stays aligned.
type offsetLayout struct{ hourDigits int }

func newOffsetLayout(runFor time.Duration) offsetLayout {
	return offsetLayout{hourDigits: len(strconv.FormatInt(int64(max(runFor, 0)/time.Hour), 10))}
}

func (l offsetLayout) format(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -max(d, -math.MaxInt64)
	}
	d = d.Round(time.Millisecond)
	h := int64(d / time.Hour)
	d %= time.Hour
	return fmt.Sprintf("%s%0*d:%02d:%02d.%03d", sign, l.hourDigits, h, d/time.Minute, d%time.Minute/time.Second, d%time.Second/time.Millisecond)
}

// width is how wide format's answers are for offsets within the run.
func (l offsetLayout) width() int { return len("+:00:00.000") + l.hourDigits }

// naturalLess orders names as people count: "s-2" before "s-10". Runs of
// digits compare by value, everything else byte by byte; names equal so
// far order by their bytes, so the order is total.
func naturalLess(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			ei, ej := digitsEnd(a, i), digitsEnd(b, j)
			na, nb := strings.TrimLeft(a[i:ei], "0"), strings.TrimLeft(b[j:ej], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			i, j = ei, ej
			continue
		}
		if a[i] != b[j] {
			return a[i] < b[j]
		}
		i++
		j++
	}
	if len(a)-i != len(b)-j {
		return len(a)-i < len(b)-j
	}
	return a < b
}

func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// plural picks the word for a count: plural(1, "caller", "callers").
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
