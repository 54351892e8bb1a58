package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// typeText types s one character at a time.
func (d *driver) typeText(s string) {
	d.t.Helper()
	for _, r := range s {
		d.keys(string(r))
	}
}

func TestEnterDescribesTheSessionWithEveryClaimAndTheWholeLog(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{NoColor: true}, 100, 60)
	d.keys("enter")
	screen := d.screen()
	checkGeometry(t, screen, 100, 60)
	for _, want := range []string{"describe alice-chat", "session alice-chat", "header alg   \"ES256\"", "header kid   \"7d1c\"",
		"jti          \"j-alice\"", "exp          ", "UTC)", "signature    <redacted>",
		"2026-11-22 09:32:17.000  session-added", "refresh-scheduled; next at 11:20:29", "w save the log"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the description lacks %q:\n%s", want, screen)
		}
	}
	d.keys("esc")
	if d.m.mode != modeNormal || strings.Contains(d.screen(), "describe alice-chat") {
		t.Errorf("esc did not leave the description:\n%s", d.screen())
	}
}

func TestWSavesTheLogAndNeverOverwritesWithoutAsking(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alice.log")
	d := newDriver(t, demoBackend(testNow), Options{NoColor: true}, 250, 30)
	save := func() {
		d.keys("w", "ctrl+u")
		d.typeText(path)
		d.keys("enter")
	}
	d.keys("enter")
	save()
	if want := "log of alice-chat saved to " + path; d.m.status != want {
		t.Fatalf("status %q, want %q", d.m.status, want)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "# tokentop: event log of session alice-chat") ||
		!strings.Contains(string(got), "2026-11-22 10:30:29.000  refresh-succeeded (proactive) in 41ms") {
		t.Errorf("saved log:\n%s", got)
	}
	if tok := d.m.tokenRaw; tok == "" || strings.Contains(string(got), tok) {
		t.Error("the saved log holds the token")
	}
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	save()
	if s := d.screen(); !strings.Contains(s, path+" exists: replace it with the log?") {
		t.Fatalf("a file that exists is not asked about:\n%s", s)
	}
	d.keys("n")
	if got, _ := os.ReadFile(path); string(got) != "keep me" {
		t.Errorf("n replaced the file: %q", got)
	}
	save()
	d.keys("y")
	if got, _ := os.ReadFile(path); !strings.HasPrefix(string(got), "# tokentop: event log") {
		t.Errorf("y did not replace the file: %q", got)
	}
	if d.m.mode != modeDescribe {
		t.Errorf("after saving the mode is %v, want the description still", d.m.mode)
	}
}

func TestTheSavedLogIsBounded(t *testing.T) {
	f := demoBackend(testNow)
	long := strings.Repeat("x", 1<<20)
	for range 6 {
		f.details["alice-chat"].Log = append(f.details["alice-chat"].Log, logLine{testNow, long})
	}
	d := newDriver(t, f, Options{NoColor: true}, 100, 30)
	if got := d.m.logFile(); len(got) > maxSavedLog || !strings.HasSuffix(got, "# cut here: the log is longer than 4 MiB\n") {
		t.Errorf("a 6 MiB log is saved as %d bytes, ending %q", len(got), got[max(len(got)-60, 0):])
	}
}

func TestDefaultLogFileIsInTheCurrentDirectory(t *testing.T) {
	if got := defaultLogFile("../etc/x"); strings.ContainsAny(got, `/\`) {
		t.Errorf("defaultLogFile leaves the current directory: %q", got)
	}
}
