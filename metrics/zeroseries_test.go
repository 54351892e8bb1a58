package metrics

import (
	"fmt"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"tokentop/credential"
	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/scenario"
	"tokentop/session"
)

// gather returns the exporter's families by name.
func gather(t *testing.T, e *Exporter) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := e.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// failures maps a session's failure series, by reason, to their values.
func failures(fams map[string]*dto.MetricFamily, family, key, name string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range fams[family].GetMetric() {
		if label(m, key) == name && label(m, "outcome") == "failure" {
			out[label(m, "reason")] = value(m)
		}
	}
	return out
}

// Issue 23, bug 1: a fresh exporter exposes every failure series of a
// session (and of a group) at 0 before any refresh, so that the first
// failure is an increase Prometheus sees: a series that appeared only at
// its first failure read increase() 0, and TokentopRefreshFailures missed
// a single failure.
func TestAFreshExporterExposesTheFailureSeriesAtZero(t *testing.T) {
	for _, tc := range []struct {
		name, family, key, label string
		threshold                int
	}{
		{"per session", "tokentop_refreshes_total", "session", "idle", 0},
		{"per group", "tokentop_group_refreshes_total", "group", "idle", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loop := clock.NewSim(scenario.DefaultStart())
			fake, err := fakeissuer.New(fakeissuer.Options{Clock: loop})
			if err != nil {
				t.Fatal(err)
			}
			m, err := session.NewManager(session.Options{Issuer: fake, Clock: loop})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			for _, name := range []string{"idle-1", "idle-2"} {
				if _, err := m.Add(scenario.Spec{Name: name, Identity: name}); err != nil { // on demand, no callers: no issuer call
					t.Fatal(err)
				}
			}
			name := "idle-1"
			if tc.threshold > 0 {
				name = "idle"
			}
			e := New(Options{GroupThreshold: tc.threshold})
			e.Attach(m)
			before := failures(gather(t, e), tc.family, tc.key, name)
			for _, reason := range []string{"initial", "on-demand", "forced"} { // an on-demand session's reasons
				if v, ok := before[reason]; !ok || v != 0 {
					t.Errorf("before any refresh: %s{%s=%q,reason=%q,outcome=\"failure\"} = %v (present %v); want present at 0",
						tc.family, tc.key, name, reason, v, ok)
				}
			}
			e.Observe(session.Event{Kind: session.KindRefreshFailed, Session: "idle-1", Reason: credential.ReasonOnDemand, At: loop.Now().Add(time.Minute)})
			after := failures(gather(t, e), tc.family, tc.key, name)
			if after["on-demand"] != 1 || after["initial"] != 0 || after["forced"] != 0 {
				t.Errorf("after one on-demand failure: %v; want on-demand 1, the rest 0", after)
			}
		})
	}
}

// Issue 23, bug 1: the series exported at 0 are those of every reason the
// session's spec can give a refresh: a static session's only issuer call is
// its initial issue, proactive ones add proactive (and retry, under a
// policy that retries), a seeded one its initial issue.
func TestRefreshKeysCoverEveryReasonTheSpecCanGive(t *testing.T) {
	for _, tc := range []struct {
		spec scenario.Spec
		want string
	}{
		{scenario.Spec{Static: true}, "initial-issue:success initial-issue:failure"},
		{scenario.Spec{}, "initial:* on-demand:* forced:*"},
		{scenario.Spec{Proactive: true, Policy: "js"}, "initial:* on-demand:* forced:* proactive:*"},
		{scenario.Spec{Proactive: true, IssueInitial: true}, "initial-issue:success initial-issue:failure initial:* on-demand:* forced:* proactive:* retry:*"},
	} {
		var got []string
		keys := refreshKeys(tc.spec)
		for i := 0; i < len(keys); i++ {
			k := keys[i]
			if k.reason != reasonInitialIssue && i+2 < len(keys) && keys[i+1].reason == k.reason && keys[i+2].reason == k.reason {
				got = append(got, k.reason+":*") // success, failure, abort
				i += 2
				continue
			}
			got = append(got, k.reason+":"+k.outcome)
		}
		if g := fmt.Sprint(got); g != "["+tc.want+"]" {
			t.Errorf("refreshKeys(%+v) = %s; want [%s]", tc.spec, g, tc.want)
		}
	}
}
