package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"tokentop/internal/durfmt"

	"tokentop/scenario"
	"tokentop/session"
)

// TestReportTextAndJSONAgreeOnEveryCount plays every built-in scenario
// twice (text, then JSON lines) and checks that the text summary, the JSON
// summary and the report say the same: per session its issuer calls,
// successes, failures, aborts, caller errors, token gap and resource
// refusals; per policy their sums; the outcome classes add up to the calls
// that ended; the latency note accounts for every call; and the gaps drawn
// in a lane add up to the session's token gap.
func TestReportTextAndJSONAgreeOnEveryCount(t *testing.T) {
	for _, name := range scenario.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			text, js := &headlessOut{}, &headlessOut{json: true}
			textPage, _ := playBuiltin(t, name, text)
			page, ret := playBuiltin(t, name, js)
			if textPage != page {
				t.Error("the report of the text run differs from the JSON run's")
			}
			lines := strings.Split(strings.TrimSpace(js.buf.String()), "\n")
			var sum session.Summary
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || sum.Type != "summary" {
				t.Fatalf("last JSON line is no summary (%v): %s", err, lines[len(lines)-1])
			}
			if fmt.Sprint(sum.Sessions) != fmt.Sprint(ret.Sessions) {
				t.Errorf("the JSON summary differs from the one RunHeadless returned")
			}
			textRows := textSummary(t, text.buf.String())
			reportRows := map[string][]string{}
			for _, r := range tableRows(t, page, "sessions") {
				reportRows[r[0]] = r
			}
			var calls, inFlight uint64
			for _, s := range sum.Sessions {
				calls += s.IssuerCalls
				inFlight += s.InFlight
				want := []string{s.Name, fmt.Sprint(s.IssuerCalls), fmt.Sprint(s.Successes), fmt.Sprint(s.Failures), fmt.Sprint(s.Aborts),
					fmt.Sprint(s.InFlight), fmt.Sprint(s.GetTokenCalls), fmt.Sprint(s.GetTokenErrors),
					durfmt.Format(time.Duration(s.TokenGapSeconds * float64(time.Second))), fmt.Sprint(s.ResourceAccepted), fmt.Sprint(s.ResourceRefused)}
				if got := textRows[s.Name]; strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("text summary of %s: %v; JSON: %v", s.Name, got, want)
				}
				gap := fmt.Sprintf("%g", s.TokenGapSeconds)
				if s.NeverHadToken {
					gap = "1e18"
				}
				want = []string{s.Name, s.Policy, fmt.Sprint(s.IssuerCalls), fmt.Sprint(s.Successes), fmt.Sprint(s.Failures), fmt.Sprint(s.Aborts),
					fmt.Sprint(s.GetTokenErrors), gap, fmt.Sprintf("%g", s.MaxWaitMS), fmt.Sprint(s.ResourceRefused)}
				if got := reportRows[s.Name]; strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("report row of %s: %v; JSON: %v", s.Name, got, want)
				}
				if drawn := drawnGap(t, page, s.Name); math.Abs(drawn-s.TokenGapSeconds) > 0.001 {
					t.Errorf("%s: gaps drawn add up to %gs, token gap %gs", s.Name, drawn, s.TokenGapSeconds)
				}
			}
			checkPolicyRows(t, page, sum)
			measured := 0
			if i := strings.Index(page, `id="latency-note">`); i >= 0 {
				fmt.Sscanf(page[i+len(`id="latency-note">`):], "%d", &measured)
			}
			note := page[strings.Index(page, `id="latency-note">`):]
			note = note[:strings.Index(note, "</p>")]
			accounted := uint64(measured)
			for _, part := range strings.Split(note, ";")[1:] {
				var n uint64
				fmt.Sscanf(strings.TrimSpace(part), "%d", &n)
				accounted += n
			}
			if i := strings.Index(note, "left out:"); i >= 0 {
				var n uint64
				fmt.Sscanf(strings.TrimSpace(note[i+len("left out:"):]), "%d", &n)
				accounted += n
			}
			if accounted != calls || strings.Contains(note, "not seen") {
				t.Errorf("latency note %q accounts for %d issuer calls; the tables hold %d", note, accounted, calls)
			}
		})
	}
}

// checkPolicyRows checks the per-policy table against the JSON summary's
// sessions: sessions, calls, successes, failures, caller errors, gap, and
// outcome classes that add up to the calls that ended.
func checkPolicyRows(t *testing.T, page string, sum session.Summary) {
	t.Helper()
	type agg struct {
		sessions, calls, ok, failed, errs, ended uint64
		gap                                      float64
	}
	want := map[string]*agg{}
	for _, s := range sum.Sessions {
		a := want[s.Policy]
		if a == nil {
			a = &agg{}
			want[s.Policy] = a
		}
		a.sessions++
		a.calls += s.IssuerCalls
		a.ok += s.Successes
		a.failed += s.Failures
		a.errs += s.GetTokenErrors
		a.ended += s.IssuerCalls - s.InFlight
		a.gap += s.TokenGapSeconds
	}
	rows := tableRows(t, page, "policies")
	if len(rows) != len(want) {
		t.Errorf("%d policy rows, want %d", len(rows), len(want))
	}
	for _, r := range rows {
		a := want[r[0]]
		if a == nil {
			t.Errorf("policy row %s has no sessions", r[0])
			continue
		}
		var classes uint64
		for _, c := range r[13 : 13+int(numClasses)] {
			n, _ := strconv.ParseUint(c, 10, 64)
			classes += n
		}
		got := fmt.Sprint(r[1:6], " ", r[7], " ", classes)
		if exp := fmt.Sprint([]string{fmt.Sprint(a.sessions), fmt.Sprint(a.calls), fmt.Sprint(a.ok), fmt.Sprint(a.failed), fmt.Sprint(a.errs)},
			" ", fmt.Sprintf("%g", a.gap), " ", a.ended); got != exp {
			t.Errorf("policy %s: sessions calls ok failed errors, gap, classes %s; want %s", r[0], got, exp)
		}
	}
}

// textSummary reads the text summary's session rows: name, then issuer
// calls, ok, failed, aborted, in flight, GetToken, caller errors, token
// gap, resource ok, refused.
func textSummary(t *testing.T, out string) map[string][]string {
	t.Helper()
	i := strings.LastIndex(out, "\nscenario ")
	if i < 0 {
		t.Fatalf("no text summary in:\n%s", out)
	}
	lines := strings.Split(out[i+1:], "\n")
	if h := strings.Join(strings.Fields(lines[1]), " "); !strings.Contains(h, "GetToken caller errors max wait token gap") {
		t.Fatalf("text summary header %q has no caller errors column", h)
	}
	rows := map[string][]string{}
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		if len(f) != 16 {
			break // the total row, then the legend
		}
		rows[f[0]] = []string{f[0], f[3], f[4], f[5], f[6], f[7], f[10], f[11], f[13], f[14], f[15]}
	}
	return rows
}

// drawnGap adds up the gaps drawn in a session's lane, in seconds, from
// their titles ("token gap +0:25:00–+0:40:00.040 (15m0.04s)").
func drawnGap(t *testing.T, page, name string) float64 {
	t.Helper()
	var total time.Duration
	for _, g := range titled(rects(laneOf(t, page, name)), "token gap ") {
		d, err := time.ParseDuration(g.title[strings.LastIndex(g.title, "(")+1 : len(g.title)-1])
		if err != nil {
			t.Fatalf("gap title %q: %v", g.title, err)
		}
		total += d
	}
	return total.Seconds()
}
