package metrics

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/scenario"
	"tokentop/session"
)

// exposition is g's families in the text format, tokentop_build_info left
// out (the reference collector does not register it).
func exposition(t testing.TB, g prometheus.Gatherer) []byte {
	t.Helper()
	fams, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, f := range fams {
		if f.GetName() == "tokentop_build_info" {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// compareWithReference plays sc with the exporter and the reference
// collector fed the same events, scrapes both at every step of every
// minute and at the end, and fails at the first scrape that differs.
func compareWithReference(t *testing.T, sc scenario.Scenario, threshold int, every time.Duration) {
	t.Helper()
	loop := clock.NewSim(sc.StartTime())
	fake, err := fakeissuer.New(fakeissuer.Options{Clock: loop})
	if err != nil {
		t.Fatal(err)
	}
	exp, ref := New(Options{GroupThreshold: threshold}), newRef(threshold)
	scrapes, differ := 0, 0
	check := func(when string) {
		scrapes++
		got, want := exposition(t, exp.Registry()), exposition(t, ref.reg)
		if !bytes.Equal(got, want) && differ == 0 {
			differ++
			t.Errorf("%s: the scrape %s differs from the reference's:\n%s", sc.Name, when, firstDiff(got, want))
		}
	}
	_, err = session.RunHeadless(context.Background(), sc, session.HeadlessOptions{
		Manager: session.Options{Issuer: fake, Clock: loop, IssuerLatency: sc.IssuerLatency},
		Observe: func(ev session.Event) { exp.Observe(ev); ref.Observe(ev) },
		Started: func(m *session.Manager) {
			exp.Attach(m)
			ref.Attach(m)
			var tick func()
			tick = func() {
				check(fmt.Sprintf("at %v", loop.Now().Sub(sc.StartTime())))
				loop.AfterFunc(every, tick)
			}
			loop.AfterFunc(every, tick)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	check("at the end")
	if scrapes < 2 {
		t.Fatalf("%s: only %d scrapes", sc.Name, scrapes)
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range max(len(g), len(w)) {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, gl, wl)
		}
	}
	return "(same lines)"
}

// Issue 26, item 6: the exporter's scrapes, from running aggregates, read
// byte for byte as the collector's that read every session did, per
// session and per group, through every built-in scenario.
func TestScrapesMatchTheReferenceOnBuiltinScenarios(t *testing.T) {
	for _, name := range scenario.BuiltinNames() {
		sc, err := scenario.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, threshold := range []int{0, 1} {
			t.Run(fmt.Sprintf("%s/threshold=%d", name, threshold), func(t *testing.T) {
				compareWithReference(t, sc, threshold, max(sc.Duration/20, time.Second))
			})
		}
	}
}

// Issue 26, item 6: at 100,000 sessions (grouped) the scrapes read as the
// reference's too. It plays 100k sessions for 10 virtual minutes: skipped
// with -short.
func TestScrapesMatchTheReferenceAt100kSessions(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("plays 100,000 sessions: skipped with -short and in a -race build (its subject is the text, which the plain run checks)")
	}
	sc := scenario.Scenario{Name: "100k", Duration: 10 * time.Minute}
	for i := range 100_000 {
		sc.Sessions = append(sc.Sessions, scenario.Spec{Name: fmt.Sprintf("load-%d", i+1), Identity: fmt.Sprintf("user-%d", i+1), Proactive: true})
	}
	compareWithReference(t, sc, 0, 4*time.Minute)
}
