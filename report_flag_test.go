package main

import (
	"context"
	stdhtml "html"
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
		manager: session.Options{Issuer: fake, Clock: loop, Seed: 3}}
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
