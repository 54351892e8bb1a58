package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// appendLog adds lines to alice-chat's log, as new events would.
func appendLog(f *fakeBackend, texts ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, text := range texts {
		f.details["alice-chat"].Log = append(f.details["alice-chat"].Log, logLine{testNow, text})
	}
}

// longLog gives alice-chat n numbered log lines, more than the pane shows.
func longLog(f *fakeBackend, n int) {
	d := f.details["alice-chat"]
	d.Log = nil
	for i := range n {
		d.Log = append(d.Log, logLine{testNow.Add(time.Duration(i-n) * time.Second), fmt.Sprintf("event %02d", i+1)})
	}
}

func TestEventLogKeepsFollowingItsNewestLineAfterTheWindowShrinks(t *testing.T) {
	f := demoBackend(testNow)
	longLog(f, 40)
	d := newDriver(t, f, Options{NoColor: true}, 100, 30)
	if !strings.Contains(d.screen(), "event 40") {
		t.Fatalf("the log does not start at its newest line:\n%s", d.screen())
	}
	d.send(windowSize(80, 24))
	appendLog(f, "event 41")
	d.send(EventsMsg{N: 1})
	if s := d.screen(); !strings.Contains(s, "event 41") {
		t.Errorf("after shrinking the window the log stopped following: event 41 is not shown:\n%s", s)
	}
}

func TestEventLogScrolledUpByTheUserStaysPutAcrossAResizeAndNewEvents(t *testing.T) {
	f := demoBackend(testNow)
	longLog(f, 40)
	d := newDriver(t, f, Options{NoColor: true}, 100, 30)
	d.keys("tab", "up", "up", "up")
	d.send(windowSize(80, 24))
	appendLog(f, "event 41")
	d.send(EventsMsg{N: 1})
	if s := d.screen(); strings.Contains(s, "event 41") {
		t.Errorf("the log jumped to its newest line although the user scrolled up:\n%s", s)
	}
	for range 20 { // scrolling back down to the end follows again
		d.keys("down")
	}
	appendLog(f, "event 42")
	d.send(EventsMsg{N: 1})
	if s := d.screen(); !strings.Contains(s, "event 42") {
		t.Errorf("after scrolling back to the end the log does not follow:\n%s", s)
	}
}

// logTop is the first event-log line on the screen: the line after the
// detail pane's head.
func logTop(t *testing.T, screen string) string {
	t.Helper()
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "last ") && i+2 < len(lines) {
			return strings.TrimSpace(lines[i+2])
		}
	}
	t.Fatalf("no timeline lane on the screen:\n%s", screen)
	return ""
}

func TestLogEndKeysGoToItsEndsAndPagesMoveByTheLogsOwnHeight(t *testing.T) {
	f := demoBackend(testNow)
	longLog(f, 80)
	d := newDriver(t, f, Options{NoColor: true}, 100, 30)
	d.keys("tab", "g")
	if top := logTop(t, d.screen()); !strings.HasSuffix(top, "event 01") {
		t.Fatalf("g with the log focused shows %q at the top, want event 01", top)
	}
	if d.m.Selected() != "alice-chat" {
		t.Errorf("g with the log focused moved the table to %s", d.m.Selected())
	}
	page := d.m.logView.Height()
	if page == d.m.tableRowsShown() {
		t.Fatalf("the log and the table are both %d lines high; the test cannot tell their pages apart", page)
	}
	d.keys("pgdown")
	if got := d.m.logView.YOffset(); got != page {
		t.Errorf("pgdn moved the log to line %d, want %d (one log page)", got, page)
	}
	if top := logTop(t, d.screen()); !strings.HasSuffix(top, fmt.Sprintf("event %02d", page+1)) {
		t.Errorf("after one pgdn the log's top line is %q, want event %02d", top, page+1)
	}
	d.keys("pgup")
	if got := d.m.logView.YOffset(); got != 0 {
		t.Errorf("pgup moved the log to line %d, want back to 0", got)
	}
	d.keys("end")
	if s := d.screen(); !strings.Contains(s, "event 80") || strings.Contains(s, "log paused") {
		t.Errorf("end did not go to the newest event and follow:\n%s", s)
	}
	d.keys("home")
	if top := logTop(t, d.screen()); !strings.HasSuffix(top, "event 01") {
		t.Errorf("home shows %q at the top, want event 01", top)
	}
	d.keys("G")
	if !d.m.following {
		t.Error("G did not make the log follow again")
	}
}

func TestLogScrolledUpKeepsItsPlaceAcrossTabAndCountsNewEventsUntilGFollows(t *testing.T) {
	f := demoBackend(testNow)
	longLog(f, 40)
	d := newDriver(t, f, Options{NoColor: true}, 100, 30)
	d.keys("tab", "up", "up", "up", "up", "up")
	top := logTop(t, d.screen())
	d.keys("tab") // back to the table
	appendLog(f, "event 41", "event 42", "event 43")
	d.send(EventsMsg{N: 3})
	screen := d.screen()
	if got := logTop(t, screen); got != top {
		t.Errorf("after tab and three events the log's top line is %q, want it kept at %q", got, top)
	}
	if strings.Contains(screen, "event 43") {
		t.Errorf("the paused log jumped to the new events:\n%s", screen)
	}
	if !strings.Contains(screen, "log paused ↓ 3 new") {
		t.Errorf("the paused log does not say how many events arrived:\n%s", screen)
	}
	d.keys("tab")
	if s := d.screen(); !strings.Contains(s, "log paused ↓ 3 new (G follows)") {
		t.Errorf("with the log focused the marker does not say how to follow:\n%s", s)
	}
	d.keys("G")
	screen = d.screen()
	if !strings.Contains(screen, "event 43") || strings.Contains(screen, "log paused") {
		t.Errorf("G did not resume following:\n%s", screen)
	}
	appendLog(f, "event 44")
	d.send(EventsMsg{N: 1})
	if s := d.screen(); !strings.Contains(s, "event 44") {
		t.Errorf("after G a new event is not shown:\n%s", s)
	}
}

func TestPausedLogKeepsItsEntryInViewWhenTheBoundedLogDropsItsOldest(t *testing.T) {
	f := demoBackend(testNow)
	longLog(f, 40)
	d := newDriver(t, f, Options{NoColor: true}, 100, 30)
	d.keys("tab", "g", "down", "down", "down", "down", "down", "down", "down", "down", "down", "down")
	top := logTop(t, d.screen())
	if !strings.HasSuffix(top, "event 11") {
		t.Fatalf("the test expects event 11 at the top, got %q", top)
	}
	f.mu.Lock() // five new events; the log keeps its 40 newest
	dt := f.details["alice-chat"]
	for i := 41; i <= 45; i++ {
		dt.Log = append(dt.Log, logLine{testNow, fmt.Sprintf("event %02d", i)})
	}
	dt.Log = dt.Log[5:]
	dt.Logged = 45
	f.mu.Unlock()
	d.send(EventsMsg{N: 5})
	if got := logTop(t, d.screen()); got != top {
		t.Errorf("after the log dropped its five oldest the top line is %q, want it kept at %q", got, top)
	}
}

func TestLogSearchJumpsToTheNewestMatchAndStepsThroughOlderOnes(t *testing.T) {
	f := demoBackend(testNow)
	longLog(f, 60)
	for _, i := range []int{4, 20, 37} {
		f.details["alice-chat"].Log[i].Text = fmt.Sprintf("refresh-failed %d: issuer answered 500", i)
	}
	d := newDriver(t, f, Options{NoColor: true}, 100, 30)
	d.keys("tab", "/")
	d.keys(strings.Split("failed", "")...)
	screen := d.screen()
	if !strings.Contains(screen, "›10:41:54  refresh-failed 37") {
		t.Fatalf("typing a search did not show the newest match, marked:\n%s", screen)
	}
	if !strings.Contains(screen, "search: failed 3/3") {
		t.Errorf("the rule does not say which match is shown:\n%s", screen)
	}
	if rowOf(screen, "bob-calling") == "" {
		t.Error("a log search filtered the table")
	}
	d.keys("up", "up")
	if s := d.screen(); !strings.Contains(s, "refresh-failed 4:") || !strings.Contains(s, "search: failed 1/3") {
		t.Errorf("up twice did not step to the oldest match:\n%s", s)
	}
	d.keys("enter")
	if d.m.mode != modeNormal || !strings.Contains(d.screen(), "search: failed 1/3") {
		t.Error("enter did not keep the search")
	}
	d.keys("esc")
	if s := d.screen(); strings.Contains(s, "search:") || strings.Contains(s, "›") {
		t.Errorf("esc did not clear the search:\n%s", s)
	}
}
