package ui

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// fakeBackend is a scripted backend for golden tests: fixed sessions, fixed
// tokens, a fixed clock, and a record of the actions the screen issued.
type fakeBackend struct {
	mu       sync.Mutex
	now      time.Time
	speed    float64
	achieved float64
	paused   bool
	totals   totals
	sessions []sessionView
	details  map[string]*sessionDetail
	calls    []string
	err      error // what every action returns
}

func (f *fakeBackend) Frame(detail string) frame {
	f.mu.Lock()
	defer f.mu.Unlock()
	fr := frame{Now: f.now, Speed: f.speed, Achieved: f.achieved, Paused: f.paused, Totals: f.totals,
		Sessions: append([]sessionView(nil), f.sessions...)}
	fr.Totals.Sessions = len(f.sessions)
	if d, ok := f.details[detail]; ok {
		c := *d
		if c.Logged == 0 { // scripted logs count what they hold
			c.Logged = uint64(len(c.Log))
		}
		fr.Detail = &c
	}
	return fr
}

func (f *fakeBackend) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return f.err
}

func (f *fakeBackend) Refresh(name string) error      { return f.record("refresh %s", name) }
func (f *fakeBackend) Abort(name string) error        { return f.record("abort %s", name) }
func (f *fakeBackend) Dispose(name string) error      { return f.record("dispose %s", name) }
func (f *fakeBackend) SignOut(identity string) error  { return f.record("signout %s", identity) }
func (f *fakeBackend) Burst(name string, n int) error { return f.record("burst %s %d", name, n) }
func (f *fakeBackend) Remove(name string) error       { return f.record("remove %s", name) }
func (f *fakeBackend) ClearCache() error              { return f.record("clearcache") }
func (f *fakeBackend) Faults() []faultOption {
	return []faultOption{{Label: "fail the next 3 calls (500)"}, {Label: "throttle the next 3 calls (429)"},
		{Label: "add 2s latency to the next 5 calls"}, {Label: "issuer down for 5m (every identity)"},
		{Label: "clear all faults", ClearAll: true}}
}
func (f *fakeBackend) InjectFault(fault, session string) error {
	return f.record("fault %q on %s", fault, session)
}
func (f *fakeBackend) Policies() []string {
	return []string{"tokentop", "js", "dotnet", "java", "python"}
}
func (f *fakeBackend) Add(s newSession) (string, error) {
	return s.Identity, f.record("add %s %v %s proactive=%v static=%v %s callers=%d every %s",
		s.Identity, s.Scopes, s.Policy, s.Proactive, s.Static, s.Lifetime, s.Callers, s.Interval)
}

func (f *fakeBackend) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// testNow is the fixed virtual time of every golden.
var testNow = time.Date(2026, 11, 22, 10, 42, 17, 0, time.UTC)

// testToken builds a fixed JWT (with a fake signature) issued at iat.
func testToken(sub string, iat time.Time, lifetime time.Duration) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	h := enc(map[string]any{"alg": "ES256", "kid": "7d1c", "typ": "JWT"})
	c := enc(map[string]any{
		"sub": "8:acs:" + sub, "iss": "tokentop-fake", "aud": "acs",
		"iat": iat.Unix(), "nbf": iat.Unix(), "exp": iat.Add(lifetime).Unix(),
		"scp": "chat voip", "jti": "j-" + sub,
	})
	return h + "." + c + "." + base64.RawURLEncoding.EncodeToString([]byte("not-a-real-signature-"+sub))
}

// demoBackend is the demo three sessions at a given age.
func demoBackend(now time.Time) *fakeBackend {
	aliceIat := now.Add(-11*time.Minute - 48*time.Second)
	bobIat := now.Add(-51*time.Minute - 57*time.Second)
	carolIat := now.Add(-62*time.Minute - 10*time.Second)
	f := &fakeBackend{
		now: now, speed: 60,
		totals: totals{IssuerCalls: 7, Failures: 1, TokensServed: 12408},
		sessions: []sessionView{
			{Name: "alice-chat", Identity: "alice", Policy: "tokentop", State: stateValid,
				IssuedAt: aliceIat, ExpiresOn: aliceIat.Add(time.Hour), Window: 10 * time.Minute,
				Refreshes: 2, LastLatency: 41 * time.Millisecond},
			{Name: "bob-calling", Identity: "bob", Policy: "js", State: stateInWindow,
				IssuedAt: bobIat, ExpiresOn: bobIat.Add(time.Hour), Window: 10 * time.Minute,
				Refreshes: 1, Failures: 1, LastLatency: 1200 * time.Millisecond},
			{Name: "carol-static", Identity: "carol", Policy: "static", State: stateExpired, Static: true,
				IssuedAt: carolIat, ExpiresOn: carolIat.Add(time.Hour), Window: 10 * time.Minute},
		},
		details: map[string]*sessionDetail{},
	}
	for i := range f.sessions {
		f.sessions[i].HasToken = true
	}
	f.details["alice-chat"] = &sessionDetail{
		Name:  "alice-chat",
		Token: testToken("alice", aliceIat, time.Hour),
		Valid: []interval{{now.Add(-70 * time.Minute), aliceIat}, {aliceIat, now}},
		Marks: []laneMark{
			{At: now.Add(-70 * time.Minute), Kind: markOK, Latency: 44 * time.Millisecond},
			{At: aliceIat, Kind: markOK, Latency: 41 * time.Millisecond},
		},
		Log: []logLine{
			{now.Add(-70 * time.Minute), "session-added"},
			{now.Add(-70 * time.Minute), "refresh-succeeded (initial) in 44ms; expires " + now.Add(-10*time.Minute).Format("15:04:05")},
			{aliceIat.Add(-time.Second), "refresh-started (proactive)"},
			{aliceIat, "refresh-succeeded (proactive) in 41ms; expires " + aliceIat.Add(time.Hour).Format("15:04:05")},
			{aliceIat, "refresh-scheduled; next at " + aliceIat.Add(50*time.Minute).Format("15:04:05")},
		},
	}
	f.details["bob-calling"] = &sessionDetail{
		Name:  "bob-calling",
		Token: testToken("bob", bobIat, time.Hour),
		Valid: []interval{{bobIat, now}},
		Marks: []laneMark{
			{At: bobIat, Kind: markOK, Latency: 1200 * time.Millisecond},
			{At: now.Add(-2 * time.Minute), Kind: markFailed, Latency: 300 * time.Millisecond},
		},
		Log: []logLine{
			{bobIat, "refresh-succeeded (initial) in 1.2s; expires " + bobIat.Add(time.Hour).Format("15:04:05")},
			{now.Add(-2 * time.Minute), "refresh-failed (proactive) in 300ms: issuer answered 500"},
		},
	}
	f.details["carol-static"] = &sessionDetail{
		Name:  "carol-static",
		Token: testToken("carol", carolIat, time.Hour),
		Valid: []interval{{carolIat, carolIat.Add(time.Hour)}},
		Log:   []logLine{{carolIat, "initial-token-issued; expires " + carolIat.Add(time.Hour).Format("15:04:05")}},
	}
	return f
}
