package report

import (
	"bytes"
	"fmt"
	stdhtml "html"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tokentop/credential"
	"tokentop/scenario"
	"tokentop/session"
)

// drawn is one rect of the report's SVG, read back from the page.
type drawn struct {
	x, w  float64
	fill  string
	title string
}

var rectRE = regexp.MustCompile(`<rect(?: class="[a-z]+")? x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)" height="[0-9.]+" fill="(#[0-9a-f]+)"[^>]*><title>([^<]*)</title>`)

// rects reads the titled rects of a piece of the page.
func rects(html string) []drawn {
	var out []drawn
	for _, m := range rectRE.FindAllStringSubmatch(html, -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		w, _ := strconv.ParseFloat(m[2], 64)
		out = append(out, drawn{x, w, m[3], stdhtml.UnescapeString(m[4])})
	}
	return out
}

// titled returns the rects whose title starts with prefix.
func titled(rs []drawn, prefix string) []drawn {
	var out []drawn
	for _, r := range rs {
		if strings.HasPrefix(r.title, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// TestRestartDrawsCachedLanesValidAndForgottenLanesWithAGap: at +0:25 the
// restart scenario restarts four sessions; kept and kept-js resume their
// token from the cache, forgotten and forgotten-js wait 15 minutes for the
// issuer to come back.
func TestRestartDrawsCachedLanesValidAndForgottenLanesWithAGap(t *testing.T) {
	page, _ := playBuiltin(t, "restart", nil)
	restart := int64(25 * time.Minute)
	for _, name := range []string{"kept", "kept-js"} {
		rs := rects(laneOf(t, page, name))
		if gaps := titled(rs, "token gap"); len(gaps) != 0 {
			t.Errorf("%s: gaps drawn %v; it had its cached token through the restart", name, gaps)
		}
		through := false
		for _, p := range titled(rs, "token valid") {
			through = through || p.fill == colorValid && p.x < scale{2 * int64(time.Hour)}.x(restart) && p.x+p.w > scale{2 * int64(time.Hour)}.x(restart)+100
		}
		if !through {
			t.Errorf("%s: no valid-token band drawn through the restart at +0:25: %v", name, titled(rs, "token valid"))
		}
	}
	for name, want := range map[string]string{"forgotten": "token gap +0:25:00–+0:40:00.040 (15m0.04s)", "forgotten-js": "token gap +0:25:00–+0:40:00.300 (15m0.3s)"} {
		gaps := titled(rects(laneOf(t, page, name)), "token gap")
		if len(gaps) != 1 || gaps[0].title != want || gaps[0].fill != colorGap {
			t.Errorf("%s: gaps drawn %v, want one red %q", name, gaps, want)
		}
	}
	for _, name := range []string{"kept", "kept-js", "forgotten", "forgotten-js"} {
		rs := rects(laneOf(t, page, name))
		if m := titled(rs, "restarted at +0:25:00"); len(m) != 1 || m[0].fill != colorRestart {
			t.Errorf("%s: restart mark %v, want one", name, m)
		}
		if m := titled(rs, "disposed"); len(m) != 0 {
			t.Errorf("%s: the restart is drawn as a dispose: %v", name, m)
		}
	}
}

// TestCountLimitedFaultBandEndsAtItsLastCall: the demo's "fail with 503 for
// the next 2 calls" at +0:49:30 ends with alice's second failed call at
// +0:50:01.040, not at the end of the run, in the timeline and the chart.
func TestCountLimitedFaultBandEndsAtItsLastCall(t *testing.T) {
	page, _ := playBuiltin(t, "demo", nil)
	want := "fault +0:49:30–+0:50:01.040: the issuer will fail with 503 for the next 2 calls"
	sc := scale{3 * int64(time.Hour)}
	bands := titled(rects(page), "fault ")
	if len(bands) != 2 { // the timeline's and the chart's
		t.Fatalf("fault bands %v, want the one fault in the timeline and the chart", bands)
	}
	for _, b := range bands {
		end := sc.x(int64(50*time.Minute + time.Second + 40*time.Millisecond))
		if b.title != want || b.x+b.w < end-0.1 || b.x+b.w > end+0.1 {
			t.Errorf("fault band %+v ends at x %.1f, want %q ending at x %.1f", b, b.x+b.w, want, end)
		}
	}
}

// TestFaultBandsEndWhenUsedUpOrClearedAndCountOnlyTheirIdentity feeds
// faults and calls straight to a recorder.
func TestFaultBandsEndWhenUsedUpOrClearedAndCountOnlyTheirIdentity(t *testing.T) {
	rec := NewRecorder(0)
	at := scenario.DefaultStart()
	for _, s := range []struct{ name, identity string }{{"tt", "user-tt"}, {"other", "user-other"}} {
		rec.Observe(session.Event{Session: s.name, At: at, Kind: session.KindAdded, Message: "identity " + s.identity + ", policy tokentop, proactive"})
	}
	rec.Observe(session.Event{At: at.Add(time.Minute), Kind: session.KindFault, Message: "the issuer will fail with 429 for the next 2 calls (user-tt only)"})
	rec.Observe(session.Event{At: at.Add(time.Minute), Kind: session.KindFault, Message: "the issuer will fail with 503 for 20m0s (bob only)"})
	rec.Observe(session.Event{At: at.Add(time.Minute), Kind: session.KindFault, Message: "the issuer will add 1s latency for the next 5 calls"})
	call := func(name string, min time.Duration) {
		rec.Observe(session.Event{Session: name, At: at.Add(min * time.Minute), Kind: session.KindRefreshFailed, Reason: credential.ReasonRetry,
			Latency: 20 * time.Millisecond, Message: "fake issuer: 429 Too Many Requests: injected fault"})
	}
	call("other", 2) // not user-tt: the 429 fault waits
	call("tt", 3)
	call("tt", 4) // the 429 fault's second call
	windows := func() string {
		var got []string
		for _, f := range rec.faults.items() {
			to := "open"
			if f.to >= 0 {
				to = offsetText(f.to)
			}
			got = append(got, offsetText(f.from)+"–"+to)
		}
		return strings.Join(got, " ")
	}
	if got, want := windows(), "+0:01:00–+0:04:00 +0:01:00–+0:21:00 +0:01:00–open"; got != want {
		t.Errorf("fault windows %s, want %s (used up by tt's second call, 20 minutes, 2 of 5 calls left)", got, want)
	}
	rec.Observe(session.Event{At: at.Add(6 * time.Minute), Kind: session.KindFault, Message: "the issuer will hang until the caller gives up"})
	rec.Observe(session.Event{At: at.Add(7 * time.Minute), Kind: session.KindFaultsCleared})
	if got, want := windows(), "+0:01:00–+0:04:00 +0:01:00–+0:07:00 +0:01:00–+0:07:00 +0:06:00–+0:07:00"; got != want {
		t.Errorf("after a clear: fault windows %s, want %s", got, want)
	}
}

// TestSignOutMarkIsDrawnNotTheDisposeUnderIt: a sign-out disposes its
// sessions at the same instant; the lane shows the sign-out.
func TestSignOutMarkIsDrawnNotTheDisposeUnderIt(t *testing.T) {
	page, _ := playBuiltin(t, "signout", nil)
	for _, name := range []string{"alice-chat", "alice-calling", "alice-web"} {
		rs := rects(laneOf(t, page, name))
		if m := titled(rs, "signed out at +0:30:00"); len(m) != 1 || m[0].fill != colorSignOut {
			t.Errorf("%s: sign-out mark %v, want one in %s", name, m, colorSignOut)
		}
		for _, m := range titled(rs, "disposed") {
			t.Errorf("%s: a dispose mark %v covers the sign-out", name, m)
		}
	}
	if !strings.Contains(page, `background:`+colorSignOut+`"></i>signed out`) {
		t.Error("the legend has no signed-out entry")
	}
}

// TestPolicyRowsComeInTheDocumentedOrder: tokentop, js, dotnet, java,
// python, then other labels by name, whatever the sessions' order.
func TestPolicyRowsComeInTheDocumentedOrder(t *testing.T) {
	var sum session.Summary
	for i, p := range []string{"static", "python", "java", "custom", "js", "dotnet", "tokentop", "js"} {
		sum.Sessions = append(sum.Sessions, session.SessionSummary{Name: "s-" + strconv.Itoa(i), Policy: p})
	}
	var out bytes.Buffer
	if err := NewRecorder(0).Write(&out, sum); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range tableRows(t, out.String(), "policies") {
		got = append(got, r[0])
	}
	if want := "tokentop js dotnet java python custom static"; strings.Join(got, " ") != want {
		t.Errorf("policy rows %v, want %s", got, want)
	}
}

// TestLatencyHistogramHasCountsAndAScale: every bar with calls is labelled
// with its count, and the counts add up to the note's total.
func TestLatencyHistogramHasCountsAndAScale(t *testing.T) {
	page, _ := playBuiltin(t, "demo", nil)
	svg := page[strings.Index(page, `<svg id="latency"`):]
	svg = svg[:strings.Index(svg, "</svg>")]
	total := 0
	for _, m := range regexp.MustCompile(`<text class="count"[^>]*>([0-9]+)</text>`).FindAllStringSubmatch(svg, -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	if total != 9 {
		t.Errorf("bar counts add up to %d, want the 9 timed calls", total)
	}
	for _, want := range []string{`text-anchor="end">0</text>`, `text-anchor="end">9</text>`, ">calls</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the histogram's scale lacks %q", want)
		}
	}
	note := "9 issuer calls with a measured latency of the 10 in the tables; left out: 1 initial issue when a session started (not timed)."
	if !strings.Contains(page, note) {
		t.Errorf("the latency section does not say %q", note)
	}
}

var (
	rowRE  = regexp.MustCompile(`(?s)<tr><td.*?</tr>`)
	cellRE = regexp.MustCompile(`<td(?: class="num")? data-key="([^"]*)">([^<]*)</td>`)
)

// tableRows reads a table of the page as rows of cell sort keys.
func tableRows(t testing.TB, page, id string) [][]string {
	t.Helper()
	start := strings.Index(page, `id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no table %s", id)
	}
	table := page[start : start+strings.Index(page[start:], "</table>")]
	var out [][]string
	for _, r := range rowRE.FindAllString(table, -1) {
		var cells []string
		for _, c := range cellRE.FindAllStringSubmatch(r, -1) {
			cells = append(cells, stdhtml.UnescapeString(c[1]))
		}
		out = append(out, cells)
	}
	return out
}

// TestChartOverTimeShowsTheHerdAsASpike: herd's java callers, each asking
// for itself when the token expires, stand out as two spikes of 500 calls,
// in the minutes after each expiry.
func TestChartOverTimeShowsTheHerdAsASpike(t *testing.T) {
	page, _ := playBuiltin(t, "herd", nil)
	svg := page[strings.Index(page, `<svg id="overtime"`):]
	svg = svg[:strings.Index(svg, "</svg>")]
	var spikes []string
	var total int
	for _, b := range rects(svg) {
		var n int
		if _, err := fmt.Sscanf(b.title[strings.Index(b.title, ": ")+2:], "%d issuer calls", &n); err != nil || b.fill != reasonColor[reasonProactive] {
			continue
		}
		total += n
		if n >= 500 {
			spikes = append(spikes, b.title)
		}
	}
	want := "+0:01:00–+0:02:00: 504 issuer calls, 0 failed|+1:01:00–+1:02:00: 502 issuer calls, 0 failed"
	if total != 1008 || strings.Join(spikes, "|") != want {
		t.Errorf("chart bars add up to %d issuer calls (want herd's 1008), spikes %q (want %q)", total, spikes, want)
	}
}

// TestOverTimeBinsStayBoundedOnLongRuns: a year of calls widens the bins
// rather than keep one a minute.
func TestOverTimeBinsStayBoundedOnLongRuns(t *testing.T) {
	var o overTime
	year := int64(365 * 24 * time.Hour)
	for at := int64(0); at < year; at += int64(time.Hour) {
		o.add(at, at%int64(24*time.Hour) == 0)
	}
	if len(o.calls) > maxTimeBins {
		t.Errorf("%d bins kept, want at most %d", len(o.calls), maxTimeBins)
	}
	calls, failed, width := o.bins(year, chartBars)
	var n, f uint64
	for i := range calls {
		n += uint64(calls[i])
		f += uint64(failed[i])
	}
	if n != 365*24 || f != 365 || len(calls) > chartBars+1 || width != 7*24*time.Hour {
		t.Errorf("%d calls, %d failed in %d bars of %v; want 8760, 365, at most %d bars of a week", n, f, len(calls), width, chartBars)
	}
}
