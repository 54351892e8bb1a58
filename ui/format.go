package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"tokentop/internal/durfmt"
)

// countdown renders a time to expiry compactly: "48m12s", "1h02m",
// "-2m10s", "47h59m", then whole days from two days on ("3 days", as the
// README writes durations), which fit the table's EXPIRES IN column.
func countdown(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Truncate(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h >= 48:
		return fmt.Sprintf("%s%d days", sign, h/24)
	case h > 0:
		return fmt.Sprintf("%s%dh%02dm", sign, h, m)
	case m > 0:
		return fmt.Sprintf("%s%dm%02ds", sign, m, s)
	default:
		return fmt.Sprintf("%s%ds", sign, s)
	}
}

// latency renders an issuer round trip, "-" when unknown. It is the one
// place the screen formats a latency, and it rounds as the session's event
// texts do ("refresh-succeeded in 41ms"), so that the table, the timeline
// and the event log never disagree: whole microseconds under a
// millisecond ("527µs"), tenths of one under 10 ms ("2.3ms"), whole
// milliseconds under 10 s ("41ms", "1.234s"), whole seconds beyond ("14s",
// "4m27s").
func latency(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return durfmt.Format(d)
}

// relative renders t against now as "in 48m" or "11m ago".
func relative(t, now time.Time) string {
	d := t.Sub(now)
	if d >= 0 {
		return "in " + roughDuration(d)
	}
	return roughDuration(-d) + " ago"
}

// roughDuration keeps the two most significant units: "48m", "1h02m",
// "12s", "26h05m", and from two days on days as the README writes them:
// "3 days 4h", "366 days".
func roughDuration(d time.Duration) string {
	d = d.Truncate(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h >= 48 && h%24 == 0:
		return fmt.Sprintf("%d days", h/24)
	case h >= 48:
		return fmt.Sprintf("%d days %dh", h/24, h%24)
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m >= 10:
		return fmt.Sprintf("%dm", m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	default:
		return fmt.Sprintf("%ds", s)
	}
}

// thousands renders n with thin grouping commas: 12408 -> "12,408".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// speedLabel renders a clock speed factor: "x60", "x1", "x0.5".
func speedLabel(f float64) string {
	return "x" + strconv.FormatFloat(f, 'f', -1, 64)
}

func itoa(n int) string { return strconv.Itoa(n) }

// spanLabel names a timeline span: "60m", "2h", "90s".
func spanLabel(d time.Duration) string {
	switch {
	case d%time.Hour == 0 && d > 2*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	default:
		return d.String()
	}
}
