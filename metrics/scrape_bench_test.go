package metrics

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/scenario"
	"tokentop/session"
)

// run100k plays n proactive sessions of one count group for d of virtual
// time with an exporter observing every event, and returns the exporter
// and a function that closes the run's manager.
func runMany(tb testing.TB, n int, d time.Duration, opts Options) *Exporter {
	tb.Helper()
	sc := scenario.Scenario{Name: "many", Duration: d}
	for i := range n {
		sc.Sessions = append(sc.Sessions, scenario.Spec{Name: fmt.Sprintf("load-%d", i+1), Identity: fmt.Sprintf("user-%d", i+1), Proactive: true})
	}
	loop := clock.NewSim(sc.StartTime())
	fake, err := fakeissuer.New(fakeissuer.Options{Clock: loop})
	if err != nil {
		tb.Fatal(err)
	}
	exp := New(opts)
	if _, err := session.RunHeadless(context.Background(), sc, session.HeadlessOptions{
		Manager: session.Options{Issuer: fake, Clock: loop}, Observe: exp.Observe, Started: exp.Attach}); err != nil {
		tb.Fatal(err)
	}
	return exp
}

// BenchmarkScrape100kSessions measures one scrape, gathered and written in
// the text exposition format, of 100,000 sessions (issue 26, item 6: at
// most 10 ms).
func BenchmarkScrape100kSessions(b *testing.B) {
	exp := runMany(b, 100_000, 10*time.Minute, Options{})
	b.ResetTimer()
	for b.Loop() {
		fams, err := exp.Registry().Gather()
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range fams {
			if _, err := expfmt.MetricFamilyToText(io.Discard, f); err != nil {
				b.Fatal(err)
			}
		}
	}
}
