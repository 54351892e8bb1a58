package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

func plainBar(b countdownBar, width int) string {
	p := newRowPaints(NoColorStyles())
	return ansi.Strip(b.Render(width, p.states[stateValid], p.empty, p.marker))
}

func TestCountdownBarDrainsWithTimeAndMarksTheRefreshWindow(t *testing.T) {
	tests := []struct {
		name      string
		remaining time.Duration
		want      string
	}{
		{"fresh token is full", 60 * time.Minute, "██|███████"},
		{"half way", 30 * time.Minute, "██|██░░░░░"},
		{"inside the window the fill is left of the marker", 6 * time.Minute, "█░|░░░░░░░"},
		{"expired token is empty", -2 * time.Minute, "░░|░░░░░░░"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := plainBar(countdownBar{Lifetime: time.Hour, Remaining: tt.remaining, Window: 10 * time.Minute}, 10)
			if got != tt.want {
				t.Errorf("bar = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCountdownBarAlwaysFillsItsWidth(t *testing.T) {
	for _, width := range []int{1, 2, 5, 17, 60} {
		for _, b := range []countdownBar{
			{Lifetime: time.Hour, Remaining: time.Hour, Window: 10 * time.Minute},
			{Lifetime: time.Hour, Remaining: 2 * time.Hour, Window: 2 * time.Hour}, // window wider than the lifetime
			{Lifetime: 0},
			{Lifetime: time.Hour, Remaining: time.Minute}, // static: no window
		} {
			if got := ansi.StringWidth(plainBar(b, width)); got != width {
				t.Errorf("bar %+v at width %d is %d cells", b, width, got)
			}
		}
	}
}

func TestCountdownBarWithoutAWindowHasNoMarker(t *testing.T) {
	if got := plainBar(countdownBar{Lifetime: time.Hour, Remaining: 30 * time.Minute}, 10); strings.Contains(got, "|") {
		t.Errorf("a static token's bar %q has a window marker", got)
	}
}

func TestTimelineLaneShowsValiditySpansAndAttemptOutcomes(t *testing.T) {
	now := testNow
	lane := timelineLane{
		Now: now, Span: 10 * time.Minute,
		Valid: []interval{{now.Add(-8 * time.Minute), now.Add(-3 * time.Minute)}},
		Marks: []laneMark{
			{At: now.Add(-8 * time.Minute), Kind: markOK},
			{At: now.Add(-6 * time.Minute), Kind: markAborted},
			{At: now.Add(-5 * time.Minute), Kind: markFailed},
			{At: now.Add(-3 * time.Minute), Kind: markDisposed},
			{At: now.Add(time.Minute), Kind: markOK},           // in the future: not drawn
			{At: now.Add(-20 * time.Minute), Kind: markFailed}, // before the span: not drawn
		},
	}
	got := ansi.Strip(lane.Render(10, NoColorStyles()))
	if want := "··●═○✗═■··"; got != want {
		t.Errorf("lane = %q, want %q", got, want)
	}
}

func TestTimelineLaneLetsTheWorseOutcomeWinASharedCell(t *testing.T) {
	now := testNow
	lane := timelineLane{Now: now, Span: 10 * time.Minute, Marks: []laneMark{
		{At: now.Add(-5*time.Minute + time.Second), Kind: markFailed},
		{At: now.Add(-5 * time.Minute), Kind: markOK},
	}}
	if got := ansi.Strip(lane.Render(10, NoColorStyles())); !strings.Contains(got, "✗") || strings.Contains(got, "●") {
		t.Errorf("lane = %q, want the failure shown over the success in the same cell", got)
	}
}

func TestTimelineRecentListsNewestAttemptsThatFit(t *testing.T) {
	lane := timelineLane{Now: testNow, Span: 3 * time.Hour, Marks: []laneMark{
		{At: testNow.Add(-2 * time.Hour), Kind: markOK, Latency: 40 * time.Millisecond},
		{At: testNow.Add(-time.Hour), Kind: markFailed},
		{At: testNow, Kind: markOK, Latency: 1500 * time.Millisecond},
	}}
	if got, want := lane.Recent(48), "failed 09:42:17  ok 10:42:17 (1.5s)"; got != want {
		t.Errorf("Recent = %q, want %q", got, want)
	}
}

func TestTimelineRecentListsOnlyTheAttemptsInTheLanesSpan(t *testing.T) {
	marks := []laneMark{
		{At: testNow.Add(-3 * time.Hour), Kind: markOK, Latency: 40 * time.Millisecond},
		{At: testNow.Add(-61 * time.Minute), Kind: markFailed},
		{At: testNow.Add(-5 * time.Minute), Kind: markOK, Latency: 38 * time.Millisecond},
	}
	lane := timelineLane{Now: testNow, Span: time.Hour, Marks: marks}
	if got, want := lane.Recent(200), "ok 10:37:17 (38ms)"; got != want {
		t.Errorf("the last 60m lists %q, want only the attempt within it, %q", got, want)
	}
	lane.Marks = marks[:2]
	if got, want := lane.Recent(200), "no attempts in the last 60m"; got != want {
		t.Errorf("with every attempt older than the span Recent = %q, want %q", got, want)
	}
	lane.Marks, lane.Virtual = marks, true
	if got, want := lane.Recent(200), "ok 10:37:17 (38ms virtual)"; got != want {
		t.Errorf("on a virtual clock Recent = %q, want %q", got, want)
	}
}

func TestDecodeTokenReadsClaimsWithoutTheSignature(t *testing.T) {
	iat := testNow.Add(-time.Minute)
	info := decodeToken(testToken("alice", iat, time.Hour))
	if !info.Decoded {
		t.Fatalf("a well-formed JWT did not decode: %s", info.DecodeErr)
	}
	if info.Alg != "ES256" || info.Kid != "7d1c" || info.Subject != "8:acs:alice" || info.Issuer != "tokentop-fake" {
		t.Errorf("header/claims = %+v", info)
	}
	if !info.IssuedAt.Equal(iat) || !info.ExpiresAt.Equal(iat.Add(time.Hour)) {
		t.Errorf("iat %v exp %v, want %v and an hour later", info.IssuedAt, info.ExpiresAt, iat)
	}
	if strings.Join(info.Scopes, " ") != "chat voip" {
		t.Errorf("scopes = %v", info.Scopes)
	}
	if !strings.HasPrefix(info.Fingerprint, "sha256:") || len(info.Fingerprint) != len("sha256:")+8 {
		t.Errorf("fingerprint %q is not a short sha256", info.Fingerprint)
	}
	if !info.TimeValid(testNow) || info.TimeValid(iat.Add(time.Hour)) || info.TimeValid(iat.Add(-time.Second)) {
		t.Error("TimeValid does not follow nbf..exp")
	}
}

func TestDecodeTokenExplainsTokensItCannotDecode(t *testing.T) {
	for raw, want := range map[string]string{
		"":                 "no token",
		"opaque-abc":       "opaque",
		"a.b":              "opaque",
		"bad.!!!.sig":      "malformed",
		"e30.bm90LWpzb24.": "malformed",
	} {
		info := decodeToken(raw)
		if info.Decoded {
			t.Errorf("%q decoded", raw)
		}
		if !strings.Contains(info.DecodeErr, want) {
			t.Errorf("decodeToken(%q).DecodeErr = %q, want it to mention %q", raw, info.DecodeErr, want)
		}
	}
}

func TestCountdownAndLatencyFormats(t *testing.T) {
	for d, want := range map[time.Duration]string{
		48*time.Minute + 12*time.Second: "48m12s", -(2*time.Minute + 10*time.Second): "-2m10s",
		3*time.Hour + 2*time.Minute: "3h02m", 50 * time.Hour: "2 days", 9 * time.Second: "9s",
		-25 * time.Hour: "-25h00m", -(76 * time.Hour): "-3 days", 366 * 24 * time.Hour: "366 days", // as the README writes durations
	} {
		if got := countdown(d); got != want {
			t.Errorf("countdown(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		0: "-", 41 * time.Millisecond: "41ms", 1200 * time.Millisecond: "1.2s", 400 * time.Microsecond: "400µs",
		38600 * time.Microsecond: "39ms", 2340 * time.Microsecond: "2.3ms", 1234567 * time.Microsecond: "1.235s",
		14 * time.Second: "14s", 4*time.Minute + 27*time.Second: "4m27s", time.Hour + 5*time.Second: "1h0m5s", 4 * time.Minute: "4m",
	} {
		if got := latency(d); got != want {
			t.Errorf("latency(%v) = %q, want %q", d, got, want)
		}
	}
	if got := thousands(12408); got != "12,408" {
		t.Errorf("thousands(12408) = %q", got)
	}
}

func TestCellWidthMatchesTheTerminalWidth(t *testing.T) {
	for _, s := range []string{"", "abc", "\x1b[1mbold\x1b[m", "\x1b[38;2;1;2;3mx\x1b[m y", "─── a", "naïve", "日本", "\x1b]8;;http://x\x07link\x1b]8;;\x07"} {
		if got, want := cellWidth(s), ansi.StringWidth(s); got != want {
			t.Errorf("cellWidth(%q) = %d, ansi.StringWidth = %d", s, got, want)
		}
	}
}

func TestStateLabelSaysWhoWaitsAndWhenTheNextRetryIs(t *testing.T) {
	next := testNow.Add(90 * time.Second)
	for _, tt := range []struct {
		s       state
		waiters int
		width   int
		want    string
	}{
		{stateRefreshing, 3, 17, "refreshing (3)"},
		{stateRefreshing, 0, 17, "refreshing"},
		{stateRetrying, 0, 17, "retrying 10:43:47"},
		{stateRetrying, 0, 14, "retry 10:43:47"},
		{stateSignedOut, 0, 14, "signed out"},
	} {
		if got := stateLabel(tt.s, tt.waiters, next, tt.width); got != tt.want {
			t.Errorf("stateLabel(%v, %d, width %d) = %q, want %q", tt.s, tt.waiters, tt.width, got, tt.want)
		}
	}
}
