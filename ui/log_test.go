package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

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
	f.mu.Lock()
	f.details["alice-chat"].Log = append(f.details["alice-chat"].Log, logLine{testNow, "event 41"})
	f.mu.Unlock()
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
	f.mu.Lock()
	f.details["alice-chat"].Log = append(f.details["alice-chat"].Log, logLine{testNow, "event 41"})
	f.mu.Unlock()
	d.send(EventsMsg{N: 1})
	if s := d.screen(); strings.Contains(s, "event 41") {
		t.Errorf("the log jumped to its newest line although the user scrolled up:\n%s", s)
	}
	for range 20 { // scrolling back down to the end follows again
		d.keys("down")
	}
	f.mu.Lock()
	f.details["alice-chat"].Log = append(f.details["alice-chat"].Log, logLine{testNow, "event 42"})
	f.mu.Unlock()
	d.send(EventsMsg{N: 1})
	if s := d.screen(); !strings.Contains(s, "event 42") {
		t.Errorf("after scrolling back to the end the log does not follow:\n%s", s)
	}
}
