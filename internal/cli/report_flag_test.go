package cli

import (
	"context"
	stdhtml "html"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/scenario"
	"tokentop/session"
)

func TestReportFlagWritesTheHeadlessRunsReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outage.html")
	code, stdout, stderr := runBinary(t, "--headless", "--scenario", "outage", "--report", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "report written to " + path + "\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not say %q", stderr, want)
	}
	if strings.Contains(stdout, "report written") {
		t.Error("the report's path is on stdout, among the run's lines")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{`id="scenario">outage<`, `id="clock">sim<`, `data-session="js"`, `data-session="python"`, `<rect class="fault"`} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestReportFlagRefusesAPathItCannotWrite(t *testing.T) {
	dir := t.TempDir()
	wantUsageError(t, []string{"--headless", "--report", filepath.Join(dir, "missing", "r.html")}, "--report", "does not exist")
	wantUsageError(t, []string{"--headless", "--report", filepath.Join(dir, "r.txt")}, "--report", "ending in .html")
	if err := os.Mkdir(filepath.Join(dir, "d.html"), 0o755); err != nil {
		t.Fatal(err)
	}
	wantUsageError(t, []string{"--headless", "--report", filepath.Join(dir, "d.html")}, "--report", "is a directory")
}

// Issue 20, defect 14: a --report path that cannot be written was found
// only when the run was over (a monitor's, hours long, lost its report). It
// is refused at start, before any event, with exit 2 and a line naming it.
func TestReportFlagRefusesAnUnwritablePathBeforeTheRun(t *testing.T) {
	var paths []string
	if os.Geteuid() != 0 { // root writes to a read-only directory
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		paths = append(paths, filepath.Join(dir, "r.html"))
	}
	if fi, err := os.Stat("/sys/kernel"); err == nil && fi.IsDir() { // Linux: no one creates files there
		paths = append(paths, "/sys/kernel/tokentop-report.html")
	}
	if len(paths) == 0 {
		t.Skip("no directory here that this user cannot write to")
	}
	for _, path := range paths {
		for _, args := range [][]string{
			{"--headless", "--scenario", "outage", "--report", path},
			{"--headless", "--clock", "scaled", "--duration", "0", "--report", path}, // a monitor: until interrupted
		} {
			wantUsageError(t, args, "--report "+path+" cannot be written")
		}
	}
}

// A run that ends in an error leaves the report an earlier run wrote, and
// no empty file where there was none.
func TestReportFileIsKeptOrRemovedWhenNoReportIsWritten(t *testing.T) {
	dir := t.TempDir()
	kept, fresh := filepath.Join(dir, "kept.html"), filepath.Join(dir, "fresh.html")
	if err := os.WriteFile(kept, []byte("an earlier report"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{kept, fresh} {
		a := &app{cfg: config{report: path}}
		if err := a.openReport(); err != nil {
			t.Fatal(err)
		}
		a.close() // the run failed: no report
	}
	if b, err := os.ReadFile(kept); err != nil || string(b) != "an earlier report" {
		t.Errorf("the earlier report is now %q (%v); want it kept", b, err)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a file the failed run created is left behind (%v)", err)
	}
}

// TestLiveReportRecordsTheScreensRunWhenItQuits plays the outage on the
// screen's path (a subscription feeding the recorder, the loop running the
// sessions) and writes the report as quitting the screen does.
func TestLiveReportRecordsTheScreensRunWhenItQuits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.html")
	sc, err := scenario.Builtin("outage")
	if err != nil {
		t.Fatal(err)
	}
	loop := clock.NewSim(scenario.DefaultStart())
	fake, err := fakeissuer.New(fakeissuer.Options{Clock: loop})
	if err != nil {
		t.Fatal(err)
	}
	a := &app{cfg: config{report: path, seed: 3}, scenario: sc, loop: loop, speed: 60,
		manager: session.Options{Issuer: fake, Clock: loop, Seed: 3}, stderr: io.Discard}
	m, err := session.NewManager(a.manager)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	live := a.recordLive(m)
	if err := a.start(m); err != nil {
		t.Fatal(err)
	}
	loop.RunUntil(context.Background(), scenario.DefaultStart().Add(2*time.Hour))
	if err := a.finishLive(live, m); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := stdhtml.UnescapeString(string(b))
	for _, want := range []string{`id="clock">scaled<`, `id="seed">3<`, `id="duration">2h0m0s<`, `data-session="java"`,
		"token gap +1:00:00–+1:00:40.020", "fault +0:49:00–+0:58:00"} {
		if !strings.Contains(html, want) {
			t.Errorf("live report lacks %q", want)
		}
	}
}
