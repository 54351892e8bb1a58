package ui

import (
	"fmt"
	"testing"
	"time"

	"tokentop/scenario"
	"tokentop/session"
)

// manySessions is a backend with n sessions in assorted states.
func manySessions(n int) *fakeBackend {
	f := demoBackend(testNow)
	states := []state{stateValid, stateInWindow, stateRefreshing, stateRetrying, stateExpired, stateFailed, stateDisposed}
	f.sessions = f.sessions[:0]
	for i := range n {
		iat := testNow.Add(-time.Duration(i%60) * time.Minute)
		f.sessions = append(f.sessions, sessionView{
			Name: fmt.Sprintf("session-%04d", i), Identity: fmt.Sprintf("user-%03d", i%200),
			Policy: []string{"tokentop", "js", "dotnet", "java", "python"}[i%5], State: states[i%len(states)],
			Waiters: i % 4, NextAt: testNow.Add(time.Minute), IssuedAt: iat, ExpiresOn: iat.Add(time.Hour),
			Window: 10 * time.Minute, Refreshes: int64(i % 17), Failures: int64(i % 3), LastLatency: time.Duration(i%900) * time.Millisecond,
		})
	}
	d := *f.details["alice-chat"]
	d.Name = "session-0000"
	for i := range 200 {
		d.Log = append(d.Log, logLine{testNow.Add(time.Duration(i-200) * time.Second), fmt.Sprintf("event %d", i)})
	}
	f.details["session-0000"] = &d
	return f
}

func BenchmarkView1000Sessions(b *testing.B) {
	f := manySessions(1000)
	m := newModel(f, Options{Issuer: "fake (in-process)"})
	next, _ := m.Update(windowSize(200, 50))
	next, _ = next.Update(frameMsg{frame: f.Frame("session-0000")})
	m = next.(Model)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkFrame1000Sessions measures applying a frame of 1000 sessions and
// drawing it: the work each tick does.
func BenchmarkFrame1000Sessions(b *testing.B) {
	f := manySessions(1000)
	m := newModel(f, Options{Issuer: "fake (in-process)"})
	next, _ := m.Update(windowSize(200, 50))
	m = next.(Model)
	fr := f.Frame("session-0000")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		next, _ := m.Update(frameMsg{frame: fr})
		_ = next.View()
	}
}

// BenchmarkManagerFrame1000Sessions measures copying a frame out of a real
// Manager with 1000 sessions: the work each frame tick does off the event loop.
func BenchmarkManagerFrame1000Sessions(b *testing.B) {
	mgr, err := session.NewManager(session.Options{Issuer: &testIssuer{}})
	if err != nil {
		b.Fatal(err)
	}
	defer mgr.Close()
	for i := range 1000 {
		if _, err := mgr.Add(scenario.Spec{Name: fmt.Sprintf("s%04d", i), Identity: fmt.Sprintf("u%03d", i%200)}); err != nil {
			b.Fatal(err)
		}
	}
	be := newManagerBackend(mgr, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = be.Frame("s0000")
	}
}
