package session

import (
	"context"
	"io"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tokentop/internal/clock"
)

// BenchmarkHeadless10kSessions plays 10,000 proactive sessions of 1-hour
// tokens, each with one caller every 10 minutes, signing in evenly over the
// first 50 virtual minutes, for two virtual hours at 3600x (two seconds of
// wall time, on a clock.Scaled over a clock.Process, so that a busy machine
// slows virtual time down rather than letting tokens lapse) against the
// in-process fake issuer (HS256, so that the cost
// measured is tokentop's, not ECDSA's). Besides the usual figures it reports
// CPU time, peak RSS and issuer calls, and it fails if an event is lost, a
// token lapses, or a session calls the issuer other than once per refresh
// cycle.
//
// Run it alone: go test -run '^$' -bench Headless10k -benchtime 1x ./session
func BenchmarkHeadless10kSessions(b *testing.B) {
	benchHeadless10k(b, "HS256", 50*time.Minute, true)
}

// BenchmarkHeadless10kSessionsES256AtOnce is the same run with every session
// signing in at the same instant and ES256 signing: a thundering herd. The
// fake issuer mints 10,000 tokens one at a time, which at 3600x takes tens of
// virtual minutes, so queued calls overrun their time limit, fail and are
// retried, and tokens lapse. It reports the failures and the token gap and
// checks only that no event is lost: it shows what a sign-in herd does, where
// BenchmarkHeadless10kSessions holds tokentop to one call per cycle.
func BenchmarkHeadless10kSessionsES256AtOnce(b *testing.B) {
	benchHeadless10k(b, "ES256", 0, false)
}

// benchHeadless10k plays the 10k-session run; strict holds it to no failure,
// no token gap and one issuer call per session per refresh cycle.
func benchHeadless10k(b *testing.B, alg string, rampUp time.Duration, strict bool) {
	const (
		sessions = 10_000
		virtual  = 2 * time.Hour
		speed    = 3600
	)
	sc := Scenario{Name: "10k", RampUp: rampUp, Sessions: replicate(Spec{Name: "s", Identity: "user", Proactive: true,
		Lifetime: time.Hour, Callers: 1, CallInterval: 10 * time.Minute}, sessions)}
	b.ReportAllocs()
	var cpu time.Duration
	var calls uint64
	var gap float64
	var failures uint64
	for b.Loop() {
		pc := clock.NewProcess()
		c := clock.NewScaledOn(pc, 1)
		opts, _ := fakeOptionsAlg(b, c, alg)
		before := cpuTime()
		sum, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: opts, Duration: virtual, Speed: speed, Out: io.Discard, JSON: true})
		cpu += cpuTime() - before
		pc.Close()
		if err != nil {
			b.Fatal(err)
		}
		calls += sum.Totals.IssuerCalls
		gap += sum.Totals.TokenGapSeconds
		failures += sum.Totals.Failures
		checkNoEventLost(b, sum)
		if strict {
			checkOneIssuerCallPerCycle(b, sum, sessions, rampUp)
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(calls)/float64(b.N), "issuer-calls/op")
	b.ReportMetric(gap/float64(b.N)/sessions, "gap-s/session")
	b.ReportMetric(float64(failures)/float64(b.N), "failures/op")
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
}

// checkOneIssuerCallPerCycle fails the benchmark if a
// refresh failed, a token lapsed, or a session called the issuer other than
// once per refresh cycle: at sign-in, then every 50 minutes (a 1-hour token
// is refreshed 10 minutes before it expires). A session whose cycle ends
// within five virtual minutes of the end of the run may have one call less
// or more (at 3600x a millisecond of wall time is 3.6 virtual seconds).
func checkOneIssuerCallPerCycle(b *testing.B, sum Summary, n int, rampUp time.Duration) {
	b.Helper()
	t := sum.Totals
	if len(sum.Sessions) != n || t.Failures != 0 || t.Aborts != 0 || t.TokenGapSeconds != 0 {
		b.Fatalf("%d sessions; totals: %d issuer calls, %d successes, %d failures, %d aborts, gap %gs",
			len(sum.Sessions), t.IssuerCalls, t.Successes, t.Failures, t.Aborts, t.TokenGapSeconds)
	}
	end := time.Duration(sum.VirtualSeconds * float64(time.Second))
	const cycle, slack = 50 * time.Minute, 5 * time.Minute
	hist := map[uint64]int{}
	for _, s := range sum.Sessions {
		hist[s.IssuerCalls]++
		if s.IssuerCalls != s.Successes && s.IssuerCalls != s.Successes+1 { // +1: a refresh in flight at the end
			b.Fatalf("session %s: %d issuer calls, %d successes", s.Name, s.IssuerCalls, s.Successes)
		}
		i, _ := strconv.Atoi(strings.TrimPrefix(s.Name, "s-"))
		life := end - rampUp*time.Duration(i-1)/time.Duration(n) // virtual time since sign-in
		want := uint64(1 + life/cycle)
		if s.IssuerCalls == want {
			continue
		}
		near := life%cycle < slack || cycle-life%cycle < slack
		if !near || s.IssuerCalls+1 < want || s.IssuerCalls > want+1 {
			b.Fatalf("session %s, signed in %s before the end, made %d issuer calls; want %d (one per refresh cycle)", s.Name, life.Round(time.Second), s.IssuerCalls, want)
		}
	}
	b.Logf("issuer calls per session: %v; events %d; virtual %.0fs", hist, sum.EventsPublished, sum.VirtualSeconds)
}

// checkNoEventLost fails the benchmark if the run dropped an event.
func checkNoEventLost(b *testing.B, sum Summary) {
	b.Helper()
	if sum.EventsDropped != 0 || sum.EventsWritten != sum.EventsPublished {
		b.Fatalf("events: %d published, %d written, %d dropped; want none lost", sum.EventsPublished, sum.EventsWritten, sum.EventsDropped)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSSMB is the process's peak resident set (Linux reports KiB).
func peakRSSMB() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}
