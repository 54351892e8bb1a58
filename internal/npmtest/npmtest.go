// Package npmtest installs a pinned npm package set for a test that runs
// Node.js against tokentop (an official client library, a JOSE verifier).
package npmtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// installTimeout bounds `npm ci`.
const installTimeout = 3 * time.Minute

// Install copies files (package.json, package-lock.json and the scripts)
// from the folder src into a temporary directory, runs `npm ci` there and
// returns the directory. It skips the test, saying why, when node or npm is
// not on PATH or the install fails (the npm registry may be unreachable);
// what says what the test would have checked.
func Install(t testing.TB, src, what string, files ...string) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipped: %s is not on PATH; install Node.js to %s", tool, what)
		}
	}
	dir := t.TempDir()
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("skipped: npm ci of %s failed (is the npm registry reachable?): %v\n%s", src, err, LastLines(out, 15))
	}
	return dir
}

// LastLines returns the last n lines of b, leaving out stack frames.
func LastLines(b []byte, n int) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(l, "npm error")), "at ") {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
