package session

import (
	"context"
	"io"
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
// most MaxCallsInFlight calls in flight) and in sim time. Every burst must finish
// and the process's peak RSS stay under 500 MB.
//
//	go test -run '^$' -bench TwentyBursts -benchtime 1x ./session
func BenchmarkTwentyBurstsOfAHundredThousandAtOneInstant(b *testing.B) {
	for _, mode := range []string{"real", "sim"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				var c clock.Clock = clock.Real{}
				run := 5 * time.Second // real time: the first 200 ms wave fills the cache, the rest is served from it
				if mode == "sim" {
					c, run = clock.NewSim(simEpoch), 10*time.Minute
				}
				opts, fake := fakeOptionsAlg(b, c, "HS256")
				if err := fake.InjectFault(issuer.Fault{Kind: issuer.FaultLatency, Latency: 200 * time.Millisecond}); err != nil {
					b.Fatal(err)
				}
				sc := scenario.Scenario{Name: "bursts", Sessions: []scenario.Spec{{Name: "java", Identity: "j", Policy: "java", Lifetime: time.Hour}}}
				for range 20 {
					sc.Timeline = append(sc.Timeline, scenario.Step{At: time.Second, Action: scenario.ActionBurst, Session: "java", Count: scenario.MaxBurst})
				}
				sum, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: opts, Duration: run, Out: io.Discard})
				if err != nil {
					b.Fatal(err)
				}
				if got := sum.Totals.GetTokenCalls; got != 20*scenario.MaxBurst {
					b.Fatalf("%d GetToken calls, want %d: every burst finishes", got, 20*scenario.MaxBurst)
				}
				if rss := peakRSSMB(); rss > 500 {
					b.Fatalf("peak RSS %.0f MB, want under 500", rss)
				}
				b.ReportMetric(float64(sum.Totals.IssuerCalls), "issuer-calls/op")
			}
			b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
		})
	}
}
