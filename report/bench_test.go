package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"tokentop/credential"
	"tokentop/scenario"
	"tokentop/session"
)

// synthesise feeds rec a day of n sessions with 1-hour tokens refreshed
// proactively at 50 minutes, a 9-minute outage at 12:49 that fails every
// refresh in it, and every 97th session letting its token lapse 40 s. It
// returns the run's summary.
func synthesise(rec *Recorder, n int, day time.Duration) session.Summary {
	start := scenario.DefaultStart()
	down := errors.New("fake issuer: 503 Service Unavailable: injected fault: the issuer is down")
	sum := session.Summary{Scenario: "synthetic", Clock: "sim", VirtualSeconds: day.Seconds()}
	policies := []string{"tokentop", "js", "dotnet", "java", "python"}
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("s-%d", i+1)
		rec.Observe(session.Event{Session: names[i], At: start, Kind: session.KindAdded, Message: "policy " + policies[i%5]})
	}
	rec.Observe(session.Event{At: start.Add(12*time.Hour + 49*time.Minute), Kind: session.KindFault, Message: "the issuer will be down for 9m0s"})
	gaps := make([]float64, n)
	failures := make([]uint64, n)
	calls := make([]uint64, n)
	// Each session refreshes every 50 minutes, offset by its index so the
	// calls spread over the day; events go out in time order per round.
	for at := time.Duration(0); at < day; at += 50 * time.Minute {
		for i := range n {
			t := start.Add(at + time.Duration(i%3000)*time.Second)
			reason := credential.ReasonProactive
			if at == 0 {
				reason = credential.ReasonInitial
			}
			calls[i]++
			since := t.Sub(start)
			outage := since >= 12*time.Hour+49*time.Minute && since < 12*time.Hour+58*time.Minute
			if outage {
				failures[i]++
				rec.Observe(session.Event{Session: names[i], At: t, Kind: session.KindRefreshFailed, Reason: reason, Latency: 20 * time.Millisecond, Err: down})
				t = t.Add(10 * time.Minute)
				reason = credential.ReasonRetry
				calls[i]++
			}
			if i%97 == 0 && at > 0 {
				t = t.Add(10*time.Minute + 40*time.Second)
				gaps[i] += 40
				reason = credential.ReasonOnDemand
			}
			rec.Observe(session.Event{Session: names[i], At: t, Kind: session.KindRefreshSucceeded, Reason: reason,
				Latency: time.Duration(15+i%40) * time.Millisecond, ExpiresOn: t.Add(time.Hour)})
		}
	}
	for i := range n {
		sum.Sessions = append(sum.Sessions, session.SessionSummary{Name: names[i], Policy: policies[i%5], IssuerCalls: calls[i],
			Failures: failures[i], Successes: calls[i] - failures[i], TokenGapSeconds: gaps[i], MaxWaitMS: 20})
	}
	return sum
}

// countingWriter counts what it is given.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkWrite100kSessionsADay writes the report of 100,000 sessions
// over 24 hours; it reports the page's size, the recorder's heap and the
// extra heap of one Write (writeHeap; issue 22 wants it under 5 MB).
func BenchmarkWrite100kSessionsADay(b *testing.B) {
	rec := NewRecorder(0)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sum := synthesise(rec, 100_000, 24*time.Hour)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ResetTimer()
	var size int64
	for b.Loop() {
		var w countingWriter
		if err := rec.Write(&w, sum); err != nil {
			b.Fatal(err)
		}
		size = w.n
	}
	b.ReportMetric(float64(size)/(1<<20), "page-MiB")
	b.ReportMetric(float64(writeHeap(b, rec, sum))/(1<<20), "extra-MiB")
	b.ReportMetric(float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc))/(1<<20), "recorder-MiB")
	runtime.KeepAlive(rec)
}

// writeHeap returns the most the heap grows while rec writes its report:
// the bytes Write allocates, measured with the collector off, so that
// nothing it allocates is freed before it is counted (an upper bound of
// the peak heap over the heap before Write; process RSS is not measured).
func writeHeap(tb testing.TB, rec *Recorder, sum session.Summary) uint64 {
	tb.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.ReadMemStats(&before)
	if err := rec.Write(io.Discard, sum); err != nil {
		tb.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReportOf100kSessionsStaysSmall: the page of 100,000 sessions is
// under 5 MB and draws MaxLanes session lanes, the worst. (Over 13 hours,
// to include the outage and stay quick under -race; the benchmark plays a
// day.)
func TestReportOf100kSessionsStaysSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("plays 100,000 sessions")
	}
	rec := NewRecorder(0)
	sum := synthesise(rec, 100_000, 13*time.Hour)
	begin := time.Now()
	var page strings.Builder
	if err := rec.Write(&page, sum); err != nil {
		t.Fatal(err)
	}
	took := time.Since(begin)
	html := page.String()
	extra := writeHeap(t, rec, sum)
	t.Logf("100,000 sessions x 13h: %d bytes in %v, %.1f MiB of extra heap", len(html), took, float64(extra)/(1<<20))
	if extra >= 5<<20 {
		t.Errorf("Write allocated %d bytes, want under 5 MiB (issue 22)", extra)
	}
	if len(html) >= 5<<20 {
		t.Errorf("page is %d bytes, want under 5 MiB", len(html))
	}
	lanes, groups := strings.Count(html, `<g class="lane"`), strings.Count(html, `<g class="lane group"`)
	if lanes != MaxLanes || groups != 5 {
		t.Errorf("%d session lanes and %d group lanes; want %d and one per policy (5)", lanes, groups, MaxLanes)
	}
	// The worst sessions (every 97th lets its token lapse) get the lanes.
	for _, m := range regexp.MustCompile(`<g class="lane" data-session="s-([0-9]+)"`).FindAllStringSubmatch(html, -1) {
		if n, _ := strconv.Atoi(m[1]); (n-1)%97 != 0 {
			t.Errorf("session s-%d has a lane but no token gap", n)
		}
	}
	if out := os.Getenv("TOKENTOP_REPORT_OUT"); out != "" { // to look at it
		os.WriteFile(out, []byte(html), 0o600)
	}
}
