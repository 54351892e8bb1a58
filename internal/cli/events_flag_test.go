package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 26, item 3: --events picks the event lines a headless run prints;
// the summary is always printed, and the report still sees every event.
func TestEventsFlagPicksTheLinesAndTheReportSeesEveryEvent(t *testing.T) {
	dir := t.TempDir()
	run := func(events string) (kinds map[string]int, summary map[string]any, report []byte) {
		t.Helper()
		path := filepath.Join(dir, events+".html")
		code, stdout, stderr := runBinary(t, "--headless", "--scenario", "outage", "--json", "--events", events, "--report", path)
		if code != 0 {
			t.Fatalf("--events %s: exit %d: %s", events, code, stderr)
		}
		kinds = map[string]int{}
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		for _, l := range lines[:len(lines)-1] {
			var e struct{ Type, Kind string }
			if err := json.Unmarshal([]byte(l), &e); err != nil || e.Type != "event" {
				t.Fatalf("--events %s: line %q is not an event (%v)", events, l, err)
			}
			kinds[e.Kind]++
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &summary); err != nil || summary["type"] != "summary" {
			t.Fatalf("--events %s: last line %q is not the summary (%v)", events, lines[len(lines)-1], err)
		}
		report, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return kinds, summary, report
	}
	allKinds, allSum, allReport := run("all")
	changes, changesSum, changesReport := run("changes")
	none, noneSum, noneReport := run("none")

	routine := []string{"refresh-scheduled", "refresh-started"}
	for _, k := range append(routine, "refresh-succeeded", "refresh-failed", "fault-injected") {
		if allKinds[k] == 0 {
			t.Fatalf("--events all printed no %s: the scenario no longer shows what this test needs (%v)", k, allKinds)
		}
	}
	for k, n := range allKinds {
		want := n
		if k == routine[0] || k == routine[1] {
			want = 0
		}
		if changes[k] != want {
			t.Errorf("--events changes printed %d %s, want %d", changes[k], k, want)
		}
	}
	if len(none) != 0 {
		t.Errorf("--events none printed events: %v", none)
	}
	written := func(s map[string]any) float64 { return s["events_written"].(float64) }
	total := 0
	for _, n := range changes {
		total += n
	}
	if written(noneSum) != 0 || written(changesSum) != float64(total) || written(allSum) != allSum["events_published"].(float64) {
		t.Errorf("events_written: all %v, changes %v, none %v; want every one published (%v), %d, 0",
			written(allSum), written(changesSum), written(noneSum), allSum["events_published"], total)
	}
	if !bytes.Equal(allReport, noneReport) || !bytes.Equal(allReport, changesReport) {
		t.Error("the report of a run with --events none or changes differs from the report with --events all")
	}
}

func TestEventsFlagRefusesWhatCannotWork(t *testing.T) {
	wantUsageError(t, []string{"--headless", "--events", "some"}, `--events "some"`, "all", "changes", "none")
	wantUsageError(t, []string{"--events", "none"}, "--events goes with --headless")
	wantUsageError(t, []string{"--headless", "--compare", "--events", "none"}, "--events goes with a single run")
}
