package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"tokentop/scenario"
)

// The golden runs: what tokentop prints for every built-in scenario and for
// the scenario files under testdata/golden/scenarios, in sim time with seed
// 7, recorded byte for byte under testdata/golden (its README.md says what
// each file is). A change that alters one says why in its commit message and
// rewrites them with
//
//	go test -run Golden -update .

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden from this build's output")

// goldenDir holds the golden files and, under scenarios/, the scenario files
// written for them.
const goldenDir = "testdata/golden"

// goldenBuiltins are the built-in scenarios the golden runs cover; a new
// built-in is added here (and recorded with -update).
var goldenBuiltins = []string{"demo", "outage", "short-lived", "signout", "herd", "restart"}

// goldenCacheKey is the secret of the cache files the persistence runs make
// in their temp dirs: a fixed test value, guarding nothing.
const goldenCacheKey = "golden-runs-cache-key-not-a-secret-0123456789"

// cacheArg, in a step's arguments, stands for a cache file in its run's
// temp dir.
const cacheArg = "$CACHE"

// goldenStep is one play of the binary.
type goldenStep struct {
	args   []string // after --headless --clock sim --seed 7
	stdout string   // golden file of its standard output; empty: not compared
	report string   // golden file of its --report HTML; empty: no report asked
}

// goldenRun is one or more steps played in order, sharing a temp dir (so a
// second step can read the cache file the first one left).
type goldenRun struct {
	name  string
	steps []goldenStep
	// inMemoryCache marks a scenario that persists tokens without a
	// --cache-file and so relies on the in-memory cache a restart step falls
	// back to when no OS secret store is reachable.
	inMemoryCache bool
}

func goldenRuns() []goldenRun {
	var runs []goldenRun
	// textAndJSON adds the run as text and as JSON lines.
	textAndJSON := func(name string, inMemory bool, args ...string) {
		runs = append(runs,
			goldenRun{name: name + ".txt", inMemoryCache: inMemory,
				steps: []goldenStep{{args: args, stdout: name + ".txt"}}},
			goldenRun{name: name + ".ndjson", inMemoryCache: inMemory,
				steps: []goldenStep{{args: append(slices.Clip(args), "--json"), stdout: name + ".ndjson"}}})
	}
	for _, name := range goldenBuiltins {
		textAndJSON(name, name == "restart", "--scenario", name)
	}
	for _, name := range []string{"faults", "bursts", "signout-restart"} {
		textAndJSON(name, name == "signout-restart", "--scenario", goldenDir+"/scenarios/"+name+".json")
	}
	textAndJSON("sessions-flags", false, "--duration", "2h", "--policy", "java",
		"--session", "name=alice,callers=2,interval=45s,resource",
		"--session", "name=bob,policy=js,proactive=false,lifetime=30m",
		"--session", "name=carol,static,lifetime=20m",
		"--session", "name=dave,teams,renewal=5m,force-under=10m,upstream-ttl=1h",
		"--session", "name=erin,identity=shared,initial,scopes=chat",
		"--session", "name=frank,identity=shared,policy=python,scopes=voip,callers=0")
	// Persistence across processes: the first run starts from an empty
	// cache file, the second resumes from the tokens the first one saved.
	persist := []string{"--scenario", goldenDir + "/scenarios/persist.json", "--cache-file", cacheArg}
	for _, ext := range []string{".txt", ".ndjson"} {
		args := persist
		if ext == ".ndjson" {
			args = append(slices.Clip(persist), "--json")
		}
		runs = append(runs, goldenRun{name: "persist" + ext, steps: []goldenStep{
			{args: args, stdout: "persist-empty-cache" + ext},
			{args: args, stdout: "persist-warm-cache" + ext},
		}})
	}
	runs = append(runs,
		goldenRun{name: "outage.report.html", steps: []goldenStep{
			{args: []string{"--scenario", "outage"}, report: "outage.report.html"}}},
		goldenRun{name: "faults.report.html", steps: []goldenStep{
			{args: []string{"--scenario", goldenDir + "/scenarios/faults.json"}, report: "faults.report.html"}}})
	return runs
}

// TestGoldenRunsReplayByteIdentical replays every golden run and compares
// what it prints (and the report it writes) with the recorded bytes.
func TestGoldenRunsReplayByteIdentical(t *testing.T) {
	t.Parallel()
	if got := scenario.BuiltinNames(); !slices.Equal(got, goldenBuiltins) {
		t.Errorf("the golden runs cover the built-ins %v, but tokentop has %v; list them in goldenBuiltins and record them with -update",
			goldenBuiltins, got)
	}
	runs := goldenRuns()
	checkNoStrayGoldenFiles(t, runs)
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			t.Parallel()
			if run.inMemoryCache && runtime.GOOS != "linux" {
				t.Skipf("this run's persisted sessions would use the OS keyring here; only on Linux can the test hide it (as on a box without a Secret Service)")
			}
			dir := t.TempDir()
			for _, step := range run.steps {
				stdout, report := playGolden(t, dir, step)
				if step.stdout != "" {
					compareGolden(t, step.stdout, stdout)
				}
				if step.report != "" {
					compareGolden(t, step.report, report)
				}
			}
		})
	}
}

// playGolden plays one step and returns its standard output and report. The
// run sees no TOKENTOP_ variable of the caller's, a cache secret of its own,
// and no D-Bus session bus, so that no OS keyring is reachable and a
// persisted session without --cache-file uses the in-memory cache, on a
// desktop as on CI.
func playGolden(t *testing.T, dir string, step goldenStep) (stdout, report []byte) {
	t.Helper()
	args := []string{"--headless", "--clock", "sim", "--seed", "7"}
	for _, a := range step.args {
		args = append(args, strings.ReplaceAll(a, cacheArg, filepath.Join(dir, "tokens.cache")))
	}
	reportFile := filepath.Join(dir, "report.html")
	if step.report != "" {
		args = append(args, "--report", reportFile)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TOKENTOP_") && !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TOKENTOP_CACHE_KEY="+goldenCacheKey,
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-such-bus"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("tokentop %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut.String())
	}
	stderr := errOut.String()
	if step.report != "" { // the one line a run with --report writes there
		stderr = strings.Replace(stderr, "report written to "+reportFile+"\n", "", 1)
	}
	if stderr != "" {
		t.Errorf("tokentop %s wrote to stderr; want nothing there:\n%s", strings.Join(args, " "), stderr)
	}
	if step.report != "" {
		var err error
		if report, err = os.ReadFile(reportFile); err != nil {
			t.Fatalf("tokentop %s wrote no report: %v", strings.Join(args, " "), err)
		}
	}
	return out.Bytes(), report
}

// compareGolden compares got with the golden file name, or rewrites the file
// under -update.
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; record it with: go test -run Golden -update .", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from this build's output (if the change is intended, say why in the commit message and run go test -run Golden -update .):\n%s",
			path, lineDiff(path, want, got))
	}
}

// checkNoStrayGoldenFiles fails on a file under goldenDir that no run
// compares, such as one whose run was dropped.
func checkNoStrayGoldenFiles(t *testing.T, runs []goldenRun) {
	t.Helper()
	known := map[string]bool{"README.md": true, "scenarios": true}
	for _, r := range runs {
		for _, s := range r.steps {
			known[s.stdout], known[s.report] = true, true
		}
	}
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !known[e.Name()] {
			t.Errorf("%s/%s is compared by no golden run; delete it or add its run", goldenDir, e.Name())
		}
	}
}

// lineDiff shows where want and got differ as one unified-style hunk: the
// lines they share at the start and end are left out but for three of
// context, at most maxDiffLines lines of each side are shown, and long lines
// (a JSON summary, a report's SVG) are cut to a window around the first
// differing column.
func lineDiff(name string, want, got []byte) string {
	const context, maxDiffLines, width = 3, 12, 160
	w, g := splitLines(want), splitLines(got)
	pre := 0
	for pre < len(w) && pre < len(g) && w[pre] == g[pre] {
		pre++
	}
	suf := 0
	for suf < len(w)-pre && suf < len(g)-pre && w[len(w)-1-suf] == g[len(g)-1-suf] {
		suf++
	}
	col := 0 // first differing byte of the first differing lines
	if pre < len(w) && pre < len(g) {
		for col < len(w[pre]) && col < len(g[pre]) && w[pre][col] == g[pre][col] {
			col++
		}
	}
	from := max(pre-context, 0)
	var b strings.Builder
	fmt.Fprintf(&b, "first difference: line %d, column %d (want %d lines, got %d)\n", pre+1, col+1, len(w), len(g))
	fmt.Fprintf(&b, "--- %s (recorded)\n+++ this build\n@@ -%d,%d +%d,%d @@\n", name,
		from+1, len(w)-suf-from, from+1, len(g)-suf-from)
	line := func(prefix, s string, start int) {
		if len(s) > width {
			start = min(max(start-width/3, 0), len(s))
			end := min(start+width, len(s))
			cut := s[start:end]
			if start > 0 {
				cut = "…" + cut
			}
			if end < len(s) {
				cut += "…"
			}
			s = cut
		}
		b.WriteString(prefix + s + "\n")
	}
	for _, s := range w[from:pre] {
		line(" ", s, 0)
	}
	side := func(prefix string, lines []string) {
		for i, s := range lines {
			if i == maxDiffLines {
				fmt.Fprintf(&b, "%s... %d more lines\n", prefix, len(lines)-i)
				break
			}
			line(prefix, s, col)
		}
	}
	side("-", w[pre:len(w)-suf])
	side("+", g[pre:len(g)-suf])
	for _, s := range w[len(w)-suf : min(len(w)-suf+context, len(w))] {
		line(" ", s, 0)
	}
	return b.String()
}

// splitLines splits text into lines without their newlines; a last line
// without one is marked, so that a lost final newline shows in a diff.
func splitLines(text []byte) []string {
	lines := strings.Split(string(text), "\n")
	if last := len(lines) - 1; lines[last] == "" {
		lines = lines[:last]
	} else {
		lines[last] += " (no newline at the end)"
	}
	return lines
}
