package session

import (
	"context"
	"io"
	"runtime"
	"testing"
	"time"

	"tokentop/internal/clock"
	"tokentop/issuer"
	"tokentop/scenario"
)

// BenchmarkTwentyBurstsOfAHundredThousandAtOneInstant plays a 1.6 KB
// scenario's worth of bursts, 20 of 100,000 GetToken calls at one instant on
// a java session (no coalescing: every caller without a token calls the
// issuer, which takes 200 ms), on the wall clock (a loop paced at 1x; at
// most MaxCallsInFlight calls in flight) and in sim time. Every burst must
// finish: on the wall clock the run lasts until the last burst is done
// (or fails at a five-minute deadline), in sim time 10 virtual
// minutes. Memory is reported, not asserted: peak-heap-MB is the largest
// live heap seen at a burst's end, less the heap before the run
// (runtime.ReadMemStats, so what ran before in the process does not count).
//
//	go test -run '^$' -bench TwentyBursts -benchtime 1x ./session
func BenchmarkTwentyBurstsOfAHundredThousandAtOneInstant(b *testing.B) {
	const bursts = 20
	for _, mode := range []string{"real", "sim"} {
		b.Run(mode, func(b *testing.B) {
			var peak uint64
			for b.Loop() {
				var c clock.Clock = clock.Real{}
				if mode == "sim" {
					c = clock.NewSim(simEpoch)
				}
				opts, fake := fakeOptionsAlg(b, c, "HS256")
				if err := fake.InjectFault(issuer.Fault{Kind: issuer.FaultLatency, Latency: 200 * time.Millisecond}); err != nil {
					b.Fatal(err)
				}
				sc := scenario.Scenario{Name: "bursts", Sessions: []scenario.Spec{{Name: "java", Identity: "j", Policy: "java", Lifetime: time.Hour}}}
				for range bursts {
					sc.Timeline = append(sc.Timeline, scenario.Step{At: time.Second, Action: scenario.ActionBurst, Session: "java", Count: scenario.MaxBurst})
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a deadline, far past the 2 s a run takes
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				done := 0
				hopts := HeadlessOptions{Manager: opts, Duration: 10 * time.Minute, Out: io.Discard, UntilInterrupted: mode == "real",
					Observe: func(e Event) {
						if e.Kind != KindBurstDone {
							return
						}
						var ms runtime.MemStats
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapAlloc-min(ms.HeapAlloc, before.HeapAlloc))
						if done++; done == bursts {
							cancel() // a wall-clock run ends with its last burst
						}
					}}
				sum, err := RunHeadless(ctx, sc, hopts)
				timedOut := ctx.Err() == context.DeadlineExceeded
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				if timedOut || done != bursts {
					b.Fatalf("%d of %d bursts done (deadline passed: %v)", done, bursts, timedOut)
				}
				if got := sum.Totals.GetTokenCalls; got != bursts*scenario.MaxBurst {
					b.Fatalf("%d GetToken calls, want %d: every burst finishes", got, bursts*scenario.MaxBurst)
				}
				b.ReportMetric(float64(sum.Totals.IssuerCalls), "issuer-calls/op")
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}
