// Package npmtest installs a pinned npm package set for a test that runs
// Node.js against tokentop (an official client library, a JOSE verifier).
package npmtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// installTimeout bounds `npm ci`.
const installTimeout = 3 * time.Minute

// cacheDirName is the folder of the user's cache directory that keeps
// installed package sets.
const cacheDirName = "tokentop-npmtest"

// installedMarker is written last into an installed directory.
const installedMarker = ".tokentop-installed"

// Install copies files (package.json, package-lock.json and the scripts)
// from the folder src into a directory, runs `npm ci` there and returns the
// directory. The installed directory is kept in the user's cache directory
// under a hash of the files, so that `npm ci` (seconds) runs once per set of
// files on a machine, and a change to any of them installs afresh; the
// scripts must not write into it. Without a usable cache directory it
// installs into a temporary directory of the test. It skips the test, saying
// why, when node or npm is not on PATH or the install fails (the npm
// registry may be unreachable); what says what the test would have checked.
func Install(t testing.TB, src, what string, files ...string) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipped: %s is not on PATH; install Node.js to %s", tool, what)
		}
	}
	contents := make([][]byte, len(files))
	sum := sha256.New()
	for n, name := range files {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		contents[n] = b
		fmt.Fprintf(sum, "%s\x00%d\x00", name, len(b))
		sum.Write(b)
	}
	root, err := os.UserCacheDir()
	if err == nil {
		root = filepath.Join(root, cacheDirName)
		err = os.MkdirAll(root, 0o755)
	}
	if err != nil {
		dir := t.TempDir()
		install(t, src, dir, files, contents)
		return dir
	}
	dir := filepath.Join(root, hex.EncodeToString(sum.Sum(nil))[:32])
	if _, err := os.Stat(filepath.Join(dir, installedMarker)); err == nil {
		return dir
	}
	tmp, err := os.MkdirTemp(root, "installing-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp) // gone once renamed; left by a failed install
	install(t, src, tmp, files, contents)
	if err := os.WriteFile(filepath.Join(tmp, installedMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another test installed the same files meanwhile: use theirs.
		if _, serr := os.Stat(filepath.Join(dir, installedMarker)); serr != nil {
			t.Fatalf("keeping the npm install of %s: %v", src, err)
		}
	}
	return dir
}

// install writes the files into dir and runs `npm ci` there.
func install(t testing.TB, src, dir string, files []string, contents [][]byte) {
	t.Helper()
	for n, name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), contents[n], 0o644); err != nil {
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
