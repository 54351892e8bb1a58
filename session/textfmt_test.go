package session

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Issue 14, bug 1: "expires 21:25:14" for a token that expires tomorrow.
func TestEventTextDatesEveryTimeNotOnTheEventsVirtualDay(t *testing.T) {
	at := time.Date(2026, 1, 1, 21, 25, 14, 0, time.UTC)
	for _, tc := range []struct {
		name string
		e    Event
		want string
	}{
		{"same day", Event{Kind: KindRefreshSucceeded, At: at, ExpiresOn: at.Add(time.Hour / 2), NextAt: at.Add(20 * time.Minute)},
			"refresh-succeeded; expires 21:55:14; next at 21:45:14"},
		{"ACS default 24 h", Event{Kind: KindRefreshSucceeded, At: at, ExpiresOn: at.Add(24 * time.Hour), NextAt: at.Add(23*time.Hour + 50*time.Minute)},
			"refresh-succeeded; expires tomorrow 21:25:14; next at tomorrow 21:15:14"},
		{"just past midnight", Event{Kind: KindRefreshScheduled, At: at, NextAt: at.Add(3 * time.Hour)},
			"refresh-scheduled; next at tomorrow 00:25:14"},
		{"days later", Event{Kind: KindStaticIssued, At: at, ExpiresOn: at.Add(72 * time.Hour)},
			"initial-token-issued; expires 2026-01-04 21:25:14"},
		{"the day before", Event{Kind: KindTokenRejected, At: at, ExpiresOn: at.Add(-22 * time.Hour)},
			"token-rejected; expires 2025-12-31 23:25:14"},
		{"no event time", Event{Kind: KindRefreshSucceeded, ExpiresOn: at},
			"refresh-succeeded; expires 2026-01-01 21:25:14"},
	} {
		if got := tc.e.Text(); got != tc.want {
			t.Errorf("%s: Text() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestEventTextJudgesTheDayInTheEventsLocation(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	at := time.Date(2026, 1, 1, 20, 0, 0, 0, tokyo) // 11:00 UTC
	e := Event{Kind: KindRefreshSucceeded, At: at, ExpiresOn: at.Add(5 * time.Hour).UTC()}
	if got, want := e.Text(), "refresh-succeeded; expires tomorrow 01:00:00"; got != want {
		t.Errorf("Text() = %q, want %q (01:00 JST is the next day there, though 16:00 UTC is not)", got, want)
	}
}

func TestOffsetsOfARunShareOneWidth(t *testing.T) {
	for _, tc := range []struct {
		runFor  time.Duration
		offsets []time.Duration
		want    []string
	}{
		{time.Hour, []time.Duration{0, 20 * time.Millisecond, 50*time.Minute + 20*time.Millisecond, time.Hour},
			[]string{"+0:00:00.000", "+0:00:00.020", "+0:50:00.020", "+1:00:00.000"}},
		{48 * time.Hour, []time.Duration{0, 2*time.Hour + 45*time.Minute, 47*time.Hour + 59*time.Minute + 59999*time.Millisecond},
			[]string{"+00:00:00.000", "+02:45:00.000", "+47:59:59.999"}},
		{8784 * time.Hour, []time.Duration{time.Second, 8783 * time.Hour},
			[]string{"+0000:00:01.000", "+8783:00:00.000"}},
	} {
		l := newOffsetLayout(tc.runFor)
		for i, d := range tc.offsets {
			got := l.format(d)
			if got != tc.want[i] || len(got) != l.width() {
				t.Errorf("run of %v: offset %v is %q (%d wide), want %q (%d wide)", tc.runFor, d, got, len(got), tc.want[i], l.width())
			}
		}
	}
}

func TestNaturalOrderCountsNumbersInNames(t *testing.T) {
	names := []string{"s-10", "s-2", "b", "s-1", "a-10-x", "a-9-x", "s-02", "s-100", "a"}
	slices.SortFunc(names, func(a, b string) int {
		switch {
		case naturalLess(a, b):
			return -1
		case naturalLess(b, a):
			return 1
		}
		return 0
	})
	if got, want := strings.Join(names, " "), "a a-9-x a-10-x b s-1 s-02 s-2 s-10 s-100"; got != want {
		t.Errorf("sorted %s, want %s", got, want)
	}
}
