package session

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tokentop/internal/clock"
	"tokentop/issuer"
	"tokentop/scenario"
)

// BenchmarkHeadless10kSessions plays 10,000 proactive sessions of 1-hour
// tokens, each with one caller every 10 minutes, signing in evenly over the
// first 50 virtual minutes, for two virtual hours in sim time against the
// in-process fake issuer (HS256, so that the cost measured is tokentop's,
// not ECDSA's). Besides the usual figures it reports CPU time, peak RSS and
// issuer calls, and it fails if an event is lost, a refresh fails, a token
// lapses, or a session calls the issuer other than exactly once per refresh
// cycle: in sim time all of that is a fact of the scenario, whatever the
// machine's speed or load.
//
// Run it alone: go test -run '^$' -bench 'Headless10kSessions$' -benchtime 1x ./session
func BenchmarkHeadless10kSessions(b *testing.B) {
	benchHeadless(b, simClock, "HS256", 10_000, 2*time.Hour, 50*time.Minute, true)
}

// BenchmarkHeadless10kSessionsScaled is the same run in scaled time at
// 3600x: virtual time slows down when the machine cannot keep up, so no
// refresh may fail or lapse because of CPU time. It reports the speed
// achieved.
func BenchmarkHeadless10kSessionsScaled(b *testing.B) {
	benchHeadless(b, pacedClock(3600), "HS256", 10_000, 2*time.Hour, 50*time.Minute, false)
}

// BenchmarkHeadless10kSessionsES256AtOnce is the 10k run with every session
// signing in at the same instant and ES256 signing: a thundering herd. In
// sim time minting costs no virtual time, so the herd is served without a
// failure.
func BenchmarkHeadless10kSessionsES256AtOnce(b *testing.B) {
	benchHeadless(b, simClock, "ES256", 10_000, 2*time.Hour, 0, true)
}

// BenchmarkHeadless100kSessions24h plays 100,000 sessions for 24 virtual
// hours in sim time (HS256), signing in over the first 50 minutes: CPU and
// peak RSS are the figures to read; it fails on any failure or token gap.
//
//	go test -run '^$' -bench 'Headless100kSessions24h$' -benchtime 1x ./session
func BenchmarkHeadless100kSessions24h(b *testing.B) {
	benchHeadless(b, simClock, "HS256", 100_000, 24*time.Hour, 50*time.Minute, true)
}

// BenchmarkHeadless100kSessions24hES256 is the same with ES256 signing. It
// also measures the ES256 mint cost in the same run and reports the CPU of
// the run over issuer calls x that cost ("cpu/mint-cost"): how much of the
// run is tokentop's rather than the signing's. The mint cost is sampled on
// the run's own loop all through it (see mintSamples), so that it is paid
// under the run's heap and load, garbage collection included; the same
// cost measured after the run, on an emptied heap, is reported too
// ("mint-us-idle", "cpu/idle-mint-cost").
//
//	go test -run '^$' -bench 'Headless100kSessions24hES256$' -benchtime 1x -count 3 ./session
func BenchmarkHeadless100kSessions24hES256(b *testing.B) {
	benchHeadless(b, simClock, "ES256", 100_000, 24*time.Hour, 50*time.Minute, true)
}

// Benchmark1MSessions2h adds 1,000,000 sessions (ten times a scenario's
// limit, through the Manager API) and plays two virtual hours in sim time.
//
//	go test -run '^$' -bench '1MSessions' -benchtime 1x -timeout 30m ./session
func Benchmark1MSessions2h(b *testing.B) {
	const n = 1_000_000
	var cpu time.Duration
	for b.Loop() {
		loop := clock.NewSim(simEpoch)
		opts, _ := fakeOptionsAlg(b, loop, "HS256")
		opts.LogSize = -1
		before := cpuTime()
		m, err := NewManager(opts)
		if err != nil {
			b.Fatal(err)
		}
		spec := scenario.Spec{Identity: "user", Proactive: true, Lifetime: time.Hour, Callers: 1, CallInterval: 10 * time.Minute}
		for i := range n {
			spec.Name = "s-" + strconv.Itoa(i+1)
			if _, err := m.Add(spec); err != nil {
				b.Fatal(err)
			}
		}
		if err := loop.RunUntil(context.Background(), simEpoch.Add(2*time.Hour)); err != nil {
			b.Fatal(err)
		}
		t := m.Totals()
		m.Close()
		cpu += cpuTime() - before
		// All sign in at once: refreshes at 0, 50m and 1h40m.
		if t.Failures != 0 || t.TokenGap != 0 || t.IssuerCalls != 3*n {
			b.Fatalf("totals: %d issuer calls, %d failures, gap %v; want %d calls, no failure, no gap", t.IssuerCalls, t.Failures, t.TokenGap, 3*n)
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
}

// simClock and pacedClock make the clock of one benchmark run.
func simClock() *clock.Loop { return clock.NewSim(simEpoch) }

func pacedClock(speed float64) func() *clock.Loop {
	return func() *clock.Loop { return clock.NewPaced(time.Now(), speed) }
}

// benchHeadless plays n proactive sessions of 1-hour tokens (one caller
// every 10 minutes, signing in evenly over rampUp) for virtual time; strict
// holds the run to exactly one issuer call per session per refresh cycle,
// as sim time guarantees. Every run is held to no failure and no token gap.
func benchHeadless(b *testing.B, newClock func() *clock.Loop, alg string, n int, virtual, rampUp time.Duration, strict bool) {
	sc := scenario.Scenario{Name: "bench", RampUp: rampUp, Sessions: copies(scenario.Spec{Name: "s", Identity: "user", Proactive: true,
		Lifetime: time.Hour, Callers: 1, CallInterval: 10 * time.Minute}, n)}
	b.ReportAllocs()
	var cpu time.Duration
	var calls uint64
	var achieved float64
	var mints mintSamples
	for b.Loop() {
		c := newClock()
		opts, _ := fakeOptionsAlg(b, c, alg)
		if alg == "ES256" {
			mints.arm(b, c, opts.Issuer, virtual)
		}
		before := cpuTime()
		sum, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: opts, Duration: virtual, Out: io.Discard, JSON: true})
		cpu += cpuTime() - before - mints.cpu // the samples are not the run's
		mints.cpu = 0
		if err != nil {
			b.Fatal(err)
		}
		calls += sum.Totals.IssuerCalls
		achieved = sum.SpeedAchieved
		checkNoEventLost(b, sum)
		if t := sum.Totals; len(sum.Sessions) != n || t.Failures != 0 || t.Aborts != 0 || t.TokenGapSeconds != 0 {
			b.Fatalf("%d sessions; totals: %d issuer calls, %d successes, %d failures, %d aborts, gap %gs",
				len(sum.Sessions), t.IssuerCalls, t.Successes, t.Failures, t.Aborts, t.TokenGapSeconds)
		}
		if strict {
			checkOneIssuerCallPerCycle(b, sum, n, rampUp)
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(calls)/float64(b.N), "issuer-calls/op")
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
	if achieved > 0 {
		b.ReportMetric(achieved, "speed-achieved")
	}
	if alg == "ES256" {
		perRun := cpu.Seconds() / float64(b.N)
		callsPerRun := float64(calls) / float64(b.N)
		mint := mints.cost()
		b.ReportMetric(mint.Seconds()*1e6, "mint-us")
		b.ReportMetric(perRun/(callsPerRun*mint.Seconds()), "cpu/mint-cost")
		idle := mintCost(b, alg)
		b.ReportMetric(idle.Seconds()*1e6, "mint-us-idle")
		b.ReportMetric(perRun/(callsPerRun*idle.Seconds()), "cpu/idle-mint-cost")
	}
}

// mintSamples measures what an in-process issue costs in the run itself:
// every 20 virtual minutes a callback on the run's loop mints a small batch
// of tokens straight from the fake issuer and takes the process's CPU time
// across it. The batches run with the sessions' heap live, under whatever
// else loads the machine during the run, and with the garbage collector
// working on that heap: each pays the collection that runs meanwhile, so
// the mints carry their share of it by time, as the run's other work does.
// A mint on an emptied heap, after the run, pays almost none (see
// mintCost). Many small batches spread over the run average out where the
// collections fall. The sessions do not see the batches (no session call,
// no virtual time passes), and their CPU is taken out of the run's.
type mintSamples struct {
	cpu   time.Duration // in the current run
	total time.Duration // over all runs
	n     int
}

const (
	mintSampleEvery = 20 * time.Minute
	mintSampleBatch = 300
)

// arm queues the samples of one run of virtual length d on loop.
func (s *mintSamples) arm(b *testing.B, loop *clock.Loop, iss issuer.Issuer, d time.Duration) {
	for at := mintSampleEvery / 2; at < d; at += mintSampleEvery {
		loop.AfterFunc(at, func() {
			spent, err := mintBatch(iss, mintSampleBatch)
			if err != nil {
				b.Error(err)
				return
			}
			s.cpu += spent
			s.total += spent
			s.n += mintSampleBatch
		})
	}
}

// cost returns the mean CPU time of a sampled mint.
func (s *mintSamples) cost() time.Duration {
	if s.n == 0 {
		return 0
	}
	return s.total / time.Duration(s.n)
}

// mintCost measures the CPU time one in-process issue costs with alg on a
// heap that holds no sessions.
func mintCost(b *testing.B, alg string) time.Duration {
	loop := clock.NewSim(simEpoch)
	opts, _ := fakeOptionsAlg(b, loop, alg)
	const n = 20_000
	spent, err := mintBatch(opts.Issuer, n)
	if err != nil {
		b.Fatal(err)
	}
	return spent / n
}

// mintBatch issues n tokens straight from iss, as on a loop (simulated,
// for 100 identities), and returns the process's CPU time across them.
func mintBatch(iss issuer.Issuer, n int) (time.Duration, error) {
	sim, ok := iss.(issuer.DelayReporter)
	if !ok {
		return 0, fmt.Errorf("%s cannot simulate its calls", iss.Name())
	}
	ctx := context.Background()
	before := cpuTime()
	for i := range n {
		if _, _, err := sim.IssueSimulated(ctx, issuer.Request{Identity: "mint-" + strconv.Itoa(i%100)}); err != nil {
			return 0, err
		}
	}
	return cpuTime() - before, nil
}

// checkOneIssuerCallPerCycle fails the benchmark unless every session
// called the issuer exactly once per refresh cycle: at sign-in, then every
// 50 minutes (a 1-hour token is refreshed 10 minutes before it expires),
// counted from the whole second of sign-in (the fake stamps whole seconds).
// A refresh that started less than its latency before the end has not
// succeeded yet.
func checkOneIssuerCallPerCycle(b *testing.B, sum Summary, n int, rampUp time.Duration) {
	b.Helper()
	end := time.Duration(sum.VirtualSeconds * float64(time.Second))
	const cycle = 50 * time.Minute
	hist := map[uint64]int{}
	for _, s := range sum.Sessions {
		hist[s.IssuerCalls]++
		i, _ := strconv.Atoi(strings.TrimPrefix(s.Name, "s-"))
		life := end - scenario.RampOffset(rampUp, i-1, n).Truncate(time.Second) // virtual time since sign-in
		want := uint64(1 + life/cycle)
		inFlight := uint64(0)
		if life%cycle < DefaultIssuerLatency {
			inFlight = 1
		}
		if s.IssuerCalls != want || s.Successes+inFlight != want {
			b.Fatalf("session %s, signed in %s before the end, made %d issuer calls (%d successful); want %d (one per refresh cycle)",
				s.Name, life, s.IssuerCalls, s.Successes, want)
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
