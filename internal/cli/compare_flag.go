package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"tokentop/compare"

	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/report"
	"tokentop/session"
)

// checkCompare refuses --compare where its five runs could not be exact
// or would not be one table: it plays headless, in sim time, with the fake
// issuer, every policy in turn.
func checkCompare(cfg config) error {
	if !cfg.compare {
		return nil
	}
	switch {
	case !cfg.headless:
		return usagef("--compare goes with --headless: it plays the scenario once per policy and prints one table")
	case !isFakeIssuer(cfg.issuer):
		return usagef("--compare: a real issuer runs on the real clock, where runs cannot be repeated exactly; compare the policies with the fake issuer (leave --issuer out)")
	case cfg.clockMode() != clockSim:
		return usagef("--compare: the runs are exact only in sim time; leave --clock scaled out")
	case cfg.policy != "":
		return usagef("--compare plays every policy in turn; leave --policy %s out", cfg.policy)
	case cfg.failOnGap:
		return usagef("--compare prints a table of every policy; --fail-on-gap goes with a single run")
	case cfg.events != "all":
		return usagef("--compare prints a table of every policy, not events; --events goes with a single run")
	case cfg.metricsListen != "":
		return usagef("--compare plays its runs in sim time, faster than a scrape; --metrics-listen goes with a single run")
	}
	return nil
}

// runCompare plays the scenario once per policy (compare.Compare), each on
// a fresh sim clock and fake issuer with the same seed, prints the
// comparison to out and, with --report, writes one page of the runs.
func (a *app) runCompare(ctx context.Context, out io.Writer) error {
	var recs []*report.Recorder
	sc := a.scenario
	cmp, err := compare.Compare(ctx, sc, compare.CompareOptions{Out: out, JSON: a.cfg.json,
		Run: func(string) (session.HeadlessOptions, error) {
			loop := clock.NewSim(sc.StartTime())
			fake, err := fakeissuer.New(fakeissuer.Options{Clock: loop, Algorithm: a.cfg.fakeAlgorithm(sc)})
			if err != nil {
				return session.HeadlessOptions{}, fmt.Errorf("starting the fake issuer: %w", err)
			}
			ho := session.HeadlessOptions{Duration: a.cfg.duration, Manager: session.Options{Issuer: fake, Clock: loop,
				Seed: a.cfg.seed, IssuerLatency: sc.IssuerLatency, IssueTimeout: a.cfg.issuerTimeout}}
			if rec := a.newRecorder(); rec != nil {
				recs = append(recs, rec)
				ho.Observe = rec.Observe
			}
			return ho, nil
		}})
	if errors.Is(err, compare.ErrCompareNeedsSim) {
		return usageError{err}
	}
	if err != nil || recs == nil {
		return err
	}
	runs := make([]report.Run, len(cmp.Runs))
	for i, sum := range cmp.Runs {
		runs[i] = report.Run{Policy: cmp.Rows[i].Policy, Recorder: recs[i], Summary: sum}
	}
	return a.writePage(func(w io.Writer) error { return report.WriteComparison(w, runs) })
}
