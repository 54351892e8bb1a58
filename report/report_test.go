package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	stdhtml "html"
	"regexp"
	"strings"
	"testing"
	"time"

	"tokentop/credential"
	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/scenario"
	"tokentop/session"
)

// playOutage plays the built-in outage scenario in sim time and returns
// its report.
func playOutage(t testing.TB) (string, session.Summary) {
	t.Helper()
	return playBuiltin(t, "outage", nil)
}

// playBuiltin plays a built-in scenario in sim time, seed 7, as
// `tokentop --headless --scenario NAME` does, and returns its report; the
// run's text (or, with JSON set, NDJSON) lines go to out if it is not nil.
func playBuiltin(t testing.TB, name string, out *headlessOut) (string, session.Summary) {
	t.Helper()
	sc, err := scenario.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	loop := clock.NewSim(sc.StartTime())
	fake, err := fakeissuer.New(fakeissuer.Options{Clock: loop})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(0)
	opts := session.HeadlessOptions{
		Manager: session.Options{Issuer: fake, Clock: loop, Seed: 7, IssuerLatency: sc.IssuerLatency},
		Observe: rec.Observe,
	}
	if out != nil {
		opts.Out, opts.JSON = &out.buf, out.json
	}
	sum, err := session.RunHeadless(context.Background(), sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := rec.Write(&page, sum); err != nil {
		t.Fatal(err)
	}
	return page.String(), sum
}

// headlessOut collects a run's lines: text, or NDJSON with json set.
type headlessOut struct {
	json bool
	buf  bytes.Buffer
}

// external finds references that would make the page fetch something.
var external = regexp.MustCompile(`(?i)(src|href|xlink:href)\s*=\s*["']?\s*(https?:|//)|@import|url\(\s*["']?\s*(https?:|//)|<link\b|<script[^>]*\bsrc`)

func TestOutageReportShowsEveryLaneTheGapsAndTheFault(t *testing.T) {
	page, sum := playOutage(t)
	html := stdhtml.UnescapeString(page)
	for _, s := range sum.Sessions {
		if !strings.Contains(html, `data-session="`+s.Name+`"`) {
			t.Errorf("no lane for session %s", s.Name)
		}
	}
	// js and java let their token lapse at 1:00:00 until a caller asks
	// again at 1:00:40; tokentop's retry gets a new one in time.
	for _, name := range []string{"js", "java"} {
		lane := laneOf(t, html, name)
		if !strings.Contains(lane, "<title>token gap +1:00:00–+1:00:40.020 (40.02s)</title>") {
			t.Errorf("lane %s has no 40s token gap:\n%s", name, lane)
		}
		if !strings.Contains(lane, `fill="`+colorGap+`"`) {
			t.Errorf("lane %s draws no gap", name)
		}
	}
	if lane := laneOf(t, html, "tokentop"); strings.Contains(lane, "token gap +") {
		t.Errorf("tokentop has a gap drawn:\n%s", lane)
	}
	if !strings.Contains(html, `<rect class="fault"`) || !strings.Contains(html, "fault +0:49:00–+0:58:00: the issuer will be down for 9m0s") {
		t.Error("the fault window 0:49–0:58 is not shaded")
	}
	if !strings.Contains(laneOf(t, html, "python"), "on-demand failed at +0:50:10, latency 20ms: credential: the refresher failed (attempt 2)") {
		t.Error("python's failed on-demand attempt has no hover text with its time, latency and error")
	}
	for _, want := range []string{`id="scenario">outage<`, `id="seed">7<`, `id="clock">sim<`, `id="duration">2h0m0s<`,
		`<table class="sortable" id="policies">`, `<td data-key="js">js</td>`, "<script>", "issuer calls with a measured latency"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if m := external.FindString(page); m != "" {
		t.Errorf("report refers outside the file: %q", m)
	}
}

// laneOf returns the SVG group of a session's lane.
func laneOf(t testing.TB, html, name string) string {
	t.Helper()
	start := strings.Index(html, `data-session="`+name+`"`)
	if start < 0 {
		t.Fatalf("no lane %s", name)
	}
	end := strings.Index(html[start:], "</g>")
	return html[start : start+end]
}

func TestExternalReferencesAreCaught(t *testing.T) {
	for _, bad := range []string{`<img src="https://x/y.png">`, `<a href='//cdn/x'>`, `@import "x.css"`,
		`background:url( http://x)`, `<link rel=stylesheet href=x.css>`, `<script src="a.js"></script>`} {
		if external.FindString(bad) == "" {
			t.Errorf("%q not caught", bad)
		}
	}
}

// TestHostileNamesAreEscaped: a session name or an error cannot inject markup.
func TestHostileNamesAreEscaped(t *testing.T) {
	rec := NewRecorder(0)
	at := scenario.DefaultStart()
	name := `<script>alert(1)</script>`
	rec.Observe(session.Event{Session: name, At: at, Kind: session.KindAdded, Message: "policy js"})
	rec.Observe(session.Event{Session: name, At: at.Add(time.Second), Kind: session.KindRefreshFailed, Reason: credential.ReasonInitial,
		Latency: time.Millisecond, Err: errors.New(`</title><img src="https://evil">`)})
	var out bytes.Buffer
	if err := rec.Write(&out, session.Summary{Scenario: `"><b>x`}); err != nil {
		t.Fatal(err)
	}
	html := out.String()
	for _, bad := range []string{"<script>alert", `<img src="https://evil"`, `"><b>x`} {
		if strings.Contains(html, bad) {
			t.Errorf("report holds unescaped %q", bad)
		}
	}
}

// TestRecorderMemoryIsBounded: a session with more attempts than the cap
// keeps the newest, and says how many were let go.
func TestRecorderMemoryIsBounded(t *testing.T) {
	rec := NewRecorder(100)
	at := scenario.DefaultStart()
	for i := range 10_000 {
		at = at.Add(time.Second)
		rec.Observe(session.Event{Session: "s", At: at, Kind: session.KindRefreshFailed, Reason: credential.ReasonRetry,
			Latency: time.Millisecond, Err: fmt.Errorf("failure %d", i)})
	}
	s := rec.sessions["s"]
	if len(s.attempts.buf) != 100 || s.attempts.dropped != 9_900 {
		t.Errorf("kept %d attempts, dropped %d; want 100 and 9900", len(s.attempts.buf), s.attempts.dropped)
	}
	// Times count from the first event, one second after the start.
	if got := s.attempts.items()[99].start; got != int64(9_999*time.Second-time.Millisecond) {
		t.Errorf("newest attempt at %v, want the last one", time.Duration(got))
	}
	if len(rec.errors) > maxErrors {
		t.Errorf("%d error texts kept, want at most %d", len(rec.errors), maxErrors)
	}
}

// TestRecorderBudgetCapsEverySessionTogether: once the recorder-wide
// budget is spent, each session keeps only its newest minAttempts records,
// so thousands of sessions cannot each keep the per-session maximum.
func TestRecorderBudgetCapsEverySessionTogether(t *testing.T) {
	rec := NewRecorder(1000)
	rec.budget = 50
	at := scenario.DefaultStart()
	for i := range 200 {
		for _, name := range []string{"a", "b", "c"} {
			at = at.Add(time.Minute)
			rec.Observe(session.Event{Session: name, At: at, Kind: session.KindRefreshSucceeded, Reason: credential.ReasonProactive,
				Latency: time.Millisecond, ExpiresOn: at.Add(time.Duration(i%2) * time.Second)}) // every other one leaves a gap
		}
	}
	total := 0
	for _, s := range rec.sessions {
		total += len(s.attempts.buf) + len(s.periods.buf) + len(s.gaps.buf)
	}
	if limit := 3*3*minAttempts + 50; total > limit {
		t.Errorf("%d records kept, want at most %d", total, limit)
	}
	if rec.budget != 0 {
		t.Errorf("budget left %d, want it spent", rec.budget)
	}
}
