package session

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// formatDuration is the one way session text writes a duration, rounded to
// what a reader can use:
//
//	under 1 ms       whole microseconds      "300µs"
//	under 10 ms      tenths of a millisecond "2.3ms"
//	under 10 s       whole milliseconds      "41ms", "4.523s"
//	under 48 h       whole seconds           "14s", "4m27s", "1h", "24h", "1h0m5s"
//	48 h and over    days, then the rest     "366 days", "3 days 4h"
//
// Zero units at the end are left out ("1m", not "1m0s").
func formatDuration(d time.Duration) string { return FormatDuration(d) }

// FormatDuration writes d the way session text does (see formatDuration),
// so that a screen showing the same latency never disagrees with the log.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			d++ // -MinInt64 overflows; a nanosecond does not show
		}
		return "-" + FormatDuration(-d)
	}
	switch {
	case d == 0:
		return "0s"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	case d < 10*time.Second:
		return d.Round(time.Millisecond).String()
	}
	if d > math.MaxInt64-time.Second {
		d = d.Truncate(time.Second) // rounding up would overflow
	} else {
		d = d.Round(time.Second)
	}
	if d < 48*time.Hour {
		return trimZeroUnits(d.String())
	}
	days := d / (24 * time.Hour)
	out := strconv.FormatInt(int64(days), 10) + " days"
	if rest := d % (24 * time.Hour); rest > 0 {
		out += " " + trimZeroUnits(rest.String())
	}
	return out
}

// trimZeroUnits drops zero units at the end of a whole-second
// time.Duration string: "1h0m0s" is "1h", "1m0s" is "1m"; "10s" stays.
func trimZeroUnits(s string) string {
	if strings.HasSuffix(s, "m0s") || strings.HasSuffix(s, "h0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

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

// FloatDuration converts v units (a summary's seconds or milliseconds) to a
// Duration, saturating instead of overflowing.
func FloatDuration(v float64, unit time.Duration) time.Duration {
	d := v * float64(unit)
	switch {
	case d >= math.MaxInt64:
		return math.MaxInt64
	case d <= math.MinInt64:
		return math.MinInt64
	case d != d: // NaN
		return 0
	}
	return time.Duration(d)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
