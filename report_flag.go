package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"tokentop/report"
	"tokentop/session"
)

// reportBuffer is the live screen's subscription buffer for --report:
// events beyond it are dropped (and counted in the report) rather than
// slow the sessions down.
const reportBuffer = 1 << 16

// checkReport refuses a --report path that cannot be written, before the run.
func checkReport(path string) error {
	if path == "" {
		return nil
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".html" && ext != ".htm" {
		return usagef("--report %q: want a file name ending in .html", path)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usagef("--report %q: directory %s does not exist", path, dir)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usagef("--report %q: is a directory", path)
	}
	return nil
}

// newRecorder returns the recorder of --report, or nil without it.
func (a *app) newRecorder() *report.Recorder {
	if a.cfg.report == "" {
		return nil
	}
	return report.NewRecorder(0)
}

// observer is rec's Observe, or nil without a recorder.
func observer(rec *report.Recorder) func(session.Event) {
	if rec == nil {
		return nil
	}
	return rec.Observe
}

// writeReport writes the report of the run to --report.
func (a *app) writeReport(rec *report.Recorder, sum session.Summary) error {
	if rec == nil {
		return nil
	}
	f, err := os.Create(a.cfg.report)
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	err = rec.Write(f, sum)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--report %s: %w", a.cfg.report, err)
	}
	// On stderr, so that stdout stays the run's lines (and JSON) alone.
	fmt.Fprintf(os.Stderr, "report written to %s\n", a.cfg.report)
	return nil
}

// liveReport records the live screen's events for --report. Its goroutine
// ends when finish closes the subscription.
type liveReport struct {
	rec   *report.Recorder
	sub   *session.Subscription
	done  chan struct{}
	start time.Time
}

// recordLive subscribes to m (before its sessions are added) and feeds a
// recorder; nil without --report.
func (a *app) recordLive(m *session.Manager) *liveReport {
	rec := a.newRecorder()
	if rec == nil {
		return nil
	}
	l := &liveReport{rec: rec, sub: m.Subscribe(reportBuffer), done: make(chan struct{}), start: m.Clock().Now()}
	go func() {
		defer close(l.done)
		for e := range l.sub.C() {
			l.rec.Observe(e)
		}
	}()
	return l
}

// finish stops recording and writes the report with the sessions'
// counters as they are when the screen quits.
func (a *app) finishLive(l *liveReport, m *session.Manager) error {
	if l == nil {
		return nil
	}
	l.sub.Close()
	<-l.done
	sum := session.Summary{Type: "summary", Scenario: a.scenario.Name, Clock: "real",
		VirtualSeconds: m.Clock().Since(l.start).Seconds(), EventsDropped: l.sub.Dropped()}
	if a.loop != nil {
		seed := a.cfg.seed
		sum.Clock, sum.Seed, sum.Speed = "scaled", &seed, a.speed
	}
	for _, s := range m.Sessions() {
		st, spec := s.Stats(), s.Spec()
		ended := st.Successes + st.Failures + st.Aborts
		sum.Sessions = append(sum.Sessions, session.SessionSummary{Name: spec.Name, Identity: spec.Identity, Policy: spec.PolicyLabel(),
			IssuerCalls: st.IssuerCalls, Successes: st.Successes, Failures: st.Failures, Aborts: st.Aborts,
			InFlight: st.IssuerCalls - min(ended, st.IssuerCalls), GetTokenCalls: st.GetTokenCalls, GetTokenErrors: st.GetTokenErrors,
			MaxWaitMS: float64(st.MaxWait) / float64(time.Millisecond), TokenGapSeconds: st.TokenGap.Seconds(),
			ResourceAccepted: st.ResourceAccepted, ResourceRefused: st.ResourceRefused})
	}
	return a.writeReport(l.rec, sum)
}

// joinReportErr adds a report's error to the run's.
func joinReportErr(run, rep error) error {
	if rep == nil {
		return run
	}
	return errors.Join(run, rep)
}
