// Package durfmt writes durations the way tokentop shows them to people
// (see Format), and converts a summary's float seconds back to durations.
package durfmt

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Format is the one way tokentop writes a duration, in event text, summaries,
// the screen and decode alike, rounded to what a reader can use:
//
//	under 1 ms       whole microseconds      "300µs"
//	under 10 ms      tenths of a millisecond "2.3ms"
//	under 10 s       whole milliseconds      "41ms", "4.523s"
//	under 48 h       whole seconds           "14s", "4m27s", "1h", "24h", "1h0m5s"
//	48 h and over    days, then the rest     "366 days", "3 days 4h"
//
// Zero units at the end are left out ("1m", not "1m0s"), so that a screen
// showing the same latency never disagrees with the log.
func Format(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			d++ // -MinInt64 overflows; a nanosecond does not show
		}
		return "-" + Format(-d)
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

// FromFloat converts v units (a summary's seconds or milliseconds) to a
// Duration, saturating instead of overflowing.
func FromFloat(v float64, unit time.Duration) time.Duration {
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
