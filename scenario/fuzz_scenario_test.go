package scenario

import (
	"errors"
	"io/fs"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

// maxFuzzAlloc bounds what parsing any one input may allocate. The largest
// valid scenarios (100,000 sessions) take about 260 MB; the quadratic line
// index this target was written after took gigabytes for a 100 KB input.
const maxFuzzAlloc = 512 << 20

// FuzzScenarioFile feeds ParseScenario arbitrary bytes, seeded with the
// built-in scenarios and shapes that once ran out of memory. It must never
// panic, must stay within maxFuzzAlloc, must refuse with a *ScenarioError
// that names the file and fits a terminal, and must return only scenarios
// within the documented limits.
func FuzzScenarioFile(f *testing.F) {
	files, err := fs.Glob(builtinFiles, "scenarios/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no built-in scenarios to seed with: %v", err)
	}
	for _, name := range files {
		data, err := builtinFiles.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		string(nested(200)),
		`{"sessions":[{"name":"a","identity":"a"}],"x":{"` + strings.Repeat("k", 300) + `":[1,1,1,{"x":[]}]}}`,
		`{"ramp_up":"99999h","duration":"100000h","sessions":[{"name":"a","identity":"a","count":3,"callers":2}],
 "timeline":[{"at":"1h","fault":"down","for":"1h"},{"at":"2h","action":"burst","session":"a-1","count":5}]}`,
		`{"sessions":[{"name":"a","identity":"a","lifetime":3600,"bad\u001b":1}]}`,
		`{"sessions":[{"name":"a","identity":"a","teams":{"renewal_offset":"9223372036854775807ns"}}]} {}`,
	} {
		f.Add([]byte(seed))
	}
	allocs := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		metrics.Read(allocs)
		before := allocs[0].Value.Uint64()
		sc, err := ParseScenario("fuzz.json", data)
		metrics.Read(allocs)
		if got := allocs[0].Value.Uint64() - before; got > maxFuzzAlloc {
			t.Fatalf("parsing %d bytes allocated %d MB", len(data), got>>20)
		}
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		checkFuzzScenario(t, sc)
	})
}

func checkFuzzError(t *testing.T, err error) {
	var se *ScenarioError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is a %T, want a *ScenarioError", err, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "fuzz.json") || len(msg) > 1400 {
		t.Fatalf("error does not name the file or is %d bytes long: %.200q", len(msg), msg)
	}
	if strings.ContainsRune(msg, '\x1b') {
		t.Fatalf("error holds a terminal escape: %q", msg)
	}
}

func checkFuzzScenario(t *testing.T, sc Scenario) {
	if n := len(sc.Sessions); n < 1 || n > MaxScenarioSessions {
		t.Fatalf("%d sessions", n)
	}
	inRange := func(what string, d time.Duration) {
		if d < 0 || d > maxScenarioDuration {
			t.Fatalf("%s is %s, outside [0, %s]", what, d, maxScenarioDuration)
		}
	}
	inRange("duration", sc.Duration)
	inRange("ramp_up", sc.RampUp)
	callers := 0
	for _, s := range sc.Sessions {
		inRange(s.Name+" lifetime", s.Lifetime)
		inRange(s.Name+" call_interval", s.CallInterval)
		if s.Teams != nil {
			inRange(s.Name+" upstream_lifetime", s.Teams.UpstreamLifetime)
			inRange(s.Name+" renewal_offset", s.Teams.RenewalOffset)
			inRange(s.Name+" force_refresh_under", s.Teams.ForceRefreshUnder)
		}
		callers += s.Callers
	}
	if callers > MaxScenarioCallers {
		t.Fatalf("%d callers", callers)
	}
	for _, st := range sc.Timeline {
		inRange("at", st.At)
		inRange("for", st.Fault.Duration)
		inRange("latency", st.Fault.Latency)
		inRange("retry_after", st.Fault.RetryAfter)
		inRange("lifetime", st.Fault.Lifetime)
		inRange("interval", st.Fault.Interval)
		if st.Action == ActionBurst && st.Count > MaxBurst {
			t.Fatalf("count %d", st.Count)
		}
	}
	if err := sc.CheckSize(); err != nil {
		t.Fatal(err)
	}
	if last := RampOffset(sc.RampUp, len(sc.Sessions)-1, len(sc.Sessions)); last < 0 || last > sc.RampUp {
		t.Fatalf("the last session of %d starts at %s, outside the ramp-up of %s", len(sc.Sessions), last, sc.RampUp)
	}
}
