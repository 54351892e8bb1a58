package report

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"time"

	"tokentop/session"
)

// Run is one run of a comparison: the policy every session played, what
// the run's Recorder saw, and its summary.
type Run struct {
	Policy   string
	Recorder *Recorder
	Summary  session.Summary
}

// comparePage is what compareTemplate renders.
type comparePage struct {
	Title, Scenario, Clock, Seed, Start, Duration string
	Runs                                          int
	Notes                                         []string
	Verdict                                       []string
	PolicyHead                                    []string
	Policies                                      []row
	Charts                                        []runChart
}

type runChart struct {
	Policy string
	Chart  chartView
}

// WriteComparison renders runs of one scenario, one per policy (see
// compare.Compare), as one HTML page: the verdict and the per-policy table
// of the run page with a row per run, and each run's chart over time side
// by side, on one scale of calls so that a herd stands out. The runs are
// shown in the order given.
func WriteComparison(w io.Writer, runs []Run) error {
	p := comparePage{Title: "tokentop comparison", Scenario: "(none)", Clock: "unknown", Seed: "-", Duration: "0s",
		Runs: len(runs), PolicyHead: policyHead}
	var end int64 = int64(time.Second)
	for _, run := range runs {
		end = max(end, run.Recorder.last, int64(run.Summary.VirtualSeconds*float64(time.Second)))
	}
	if len(runs) > 0 {
		first := runs[0]
		p.Scenario = cmp.Or(first.Summary.Scenario, "(unnamed)")
		p.Title += ": " + p.Scenario
		p.Clock = cmp.Or(first.Summary.Clock, "unknown")
		if first.Summary.Seed != nil {
			p.Seed = fmt.Sprint(*first.Summary.Seed)
		}
		p.Start = first.Recorder.base.UTC().Format("2006-01-02 15:04:05 MST")
		p.Duration = time.Duration(end).Round(time.Millisecond).String()
	}
	var aggs []*policyAgg
	var most uint32
	for _, run := range runs {
		r, sum := run.Recorder, run.Summary
		if sum.Interrupted {
			p.Notes = append(p.Notes, fmt.Sprintf("The %s run was interrupted before the end of its duration.", run.Policy))
		}
		if sum.EventsDropped > 0 {
			p.Notes = append(p.Notes, fmt.Sprintf("The %s run dropped %d events before the report saw them.", run.Policy, sum.EventsDropped))
		}
		aggs = append(aggs, mergeAggs(run.Policy, r.policies(r.join(sum))))
		most = max(most, r.chartMost(end))
	}
	p.Verdict = verdict(aggs)
	p.Policies = policyRows(aggs)
	for _, run := range runs {
		c := run.Recorder.drawChartScaled(end, most)
		c.ID = "overtime-" + run.Policy
		p.Charts = append(p.Charts, runChart{Policy: run.Policy, Chart: c})
	}
	return execute(w, compareTemplate, p, "the comparison")
}

// mergeAggs sums one run's policies (a run's sessions all play its policy,
// but a static session is labelled "static") into one row named name.
func mergeAggs(name string, aggs []*policyAgg) *policyAgg {
	out := &policyAgg{name: name, latency: &latencyDist{}}
	for _, a := range aggs {
		out.sessions += a.sessions
		out.withGap += a.withGap
		out.neverHad += a.neverHad
		out.calls += a.calls
		out.successes += a.successes
		out.failures += a.failures
		out.callerErrors += a.callerErrors
		out.refused += a.refused
		out.gap += a.gap
		out.longestGap = max(out.longestGap, a.longestGap)
		out.longestWaitMS = max(out.longestWaitMS, a.longestWaitMS)
		for c, n := range a.classes {
			out.classes[c] += n
		}
		out.latency.merge(a.latency)
	}
	return out
}

// compareTemplate is the comparison page: the run page's style, table,
// charts and script (sharedTemplates) around a header of its own.
var compareTemplate = template.Must(template.Must(template.New("compare").Funcs(template.FuncMap{"rects": rectsHTML, "cells": cellsHTML}).Parse(sharedTemplates)).Parse(`<!DOCTYPE html>
{{template "head" .}}<style>
.runs{display:flex;flex-wrap:wrap;gap:8px 16px}
.runs h3{font-size:14px;margin:8px 0 2px}
.runs svg{width:600px;height:auto}
</style>
</head>
<body>
{{template "meta" .}}<dt>duration</dt><dd id="duration">{{.Duration}} per run</dd>
<dt>runs</dt><dd id="runs">{{.Runs}}, one per policy, with the same seed; every session of a run plays the run's policy (a static session stays static)</dd>
{{template "opening" .}}<h2>Over time</h2>
<p>Each run's issuer calls of all sessions per bin of time (blue), the failed ones over them (orange), injected faults behind (grey), on one scale of calls.</p>
<div class="runs">
{{range .Charts}}<div class="run" data-policy="{{.Policy}}"><h3>{{.Policy}}</h3>
{{template "chart" .Chart}}</div>
{{end}}</div>
{{template "script"}}</body>
</html>
`))
