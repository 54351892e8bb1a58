package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportFlagWritesTheHeadlessRunsReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outage.html")
	code, _, stderr := runBinary(t, "--headless", "--scenario", "outage", "--report", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
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
