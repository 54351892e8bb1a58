package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// checkReport refuses, as the command line is read, a --report path that
// cannot be one; openReport finds the rest (permissions) before the run.
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

// reportFile is --report's file, opened before the run so that a path that
// cannot be written is found at start, not when a run (a monitor's, hours
// long) is over and its report has nowhere to go.
type reportFile struct {
	path    string
	f       *os.File // nil once written or discarded
	created bool     // the run created the file: discard removes it
}

// openReport opens (or creates) --report's file for the report written at
// the end; a file there keeps its content until then, so that a run that
// fails loses no earlier report. The error is a usage error naming the path.
func openReport(path string) (*reportFile, error) {
	// A FIFO or a device would block the open or take the report somewhere
	// else; Stat follows a symbolic link to a regular file, as os.Create does.
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, usagef("--report %s is not a regular file; give the path of an .html file to write", path)
	}
	created := true
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if errors.Is(err, fs.ErrExist) {
		created = false
		f, err = os.OpenFile(path, os.O_WRONLY, 0)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is said once, below
		}
		return nil, usagef("--report %s cannot be written (%w); choose a file in a directory you can write to", path, err)
	}
	return &reportFile{path: path, f: f, created: created}, nil
}

// write replaces the file's content with what page writes and closes it.
func (r *reportFile) write(page func(io.Writer) error) error {
	f := r.f
	r.f = nil
	err := f.Truncate(0)
	if err == nil {
		err = page(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--report %s: %w", r.path, err)
	}
	return nil
}

// discard closes a file no report was written to, removing it if the run
// created it. It is a no-op after write.
func (r *reportFile) discard() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	if r.created {
		err = errors.Join(err, os.Remove(r.path))
	}
	return err
}

// openReport opens --report's file before the run (see openReport); app's
// close discards it if no report was written.
func (a *app) openReport() error {
	if a.cfg.report == "" {
		return nil
	}
	rf, err := openReport(a.cfg.report)
	if err != nil {
		return err
	}
	a.report = rf
	a.closers = append(a.closers, rf.discard)
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

// writeReport writes the report of the run to --report, into the file
// opened at start (opening it now if nothing did).
func (a *app) writeReport(rec *report.Recorder, sum session.Summary) error {
	if rec == nil {
		return nil
	}
	return a.writePage(func(w io.Writer) error { return rec.Write(w, sum) })
}

// writePage writes a page (a run's report or a comparison) to --report.
func (a *app) writePage(page func(io.Writer) error) error {
	if a.report == nil || a.report.f == nil {
		if err := a.openReport(); err != nil {
			return err
		}
	}
	if err := a.report.write(page); err != nil {
		return err
	}
	// On stderr, so that stdout stays the run's lines (and JSON) alone.
	fmt.Fprintf(a.stderr, "report written to %s\n", a.cfg.report)
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
