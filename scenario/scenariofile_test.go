package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/issuer"
)

func TestBadScenarioFilesNameFileLineFieldAndWhatIsAllowed(t *testing.T) {
	cases := []struct {
		name string
		json string
		want []string // substrings of the error
	}{
		{"unknown session field", `{
  "sessions": [
    {"name": "a", "identity": "alice",
     "polcy": "js"}
  ]
}`, []string{"bad.json:4:", "sessions[0].polcy", `unknown field "polcy"`, "allowed fields here are name, identity", "policy"}},
		{"unknown top-level field", `{"sessions": [{"name": "a", "identity": "x"}],
 "faults": []}`, []string{"bad.json:2:", `unknown field "faults"`, "timeline"}},
		{"unknown teams field", `{"sessions": [{"name": "a", "identity": "x",
  "teams": {"renewal": "5m"}}]}`, []string{"bad.json:2:", "sessions[0].teams.renewal", "renewal_offset"}},
		{"bad duration", `{"sessions": [
  {"name": "a", "identity": "x",
   "call_interval": "90x"}]}`, []string{"bad.json:3:", "sessions[0].call_interval", `"90x" is not a duration`, `"90s"`}},
		{"duration as a number", `{"sessions": [{"name": "a", "identity": "x",
   "lifetime": 3600}]}`, []string{"bad.json:2:", "sessions[0].lifetime", "number", "duration string"}},
		{"negative duration", `{"duration": "-1h", "sessions": [{"name": "a", "identity": "x"}]}`, []string{"bad.json:1:", "duration", "negative"}},
		{"unknown policy", `{"sessions": [
  {"name": "a", "identity": "x", "policy": "go"}]}`, []string{"bad.json:2:", "sessions[0].policy", `"go" is not a policy`, "tokentop", "js", "dotnet", "java", "python"}},
		{"negative callers", `{"sessions": [
  {"name": "a", "identity": "x",
   "callers": -3}]}`, []string{"bad.json:3:", "sessions[0].callers", "-3 is negative"}},
		{"negative session count", `{"sessions": [{"name": "a", "identity": "x",
   "count": -1}]}`, []string{"bad.json:2:", "sessions[0].count", "use 1 or more"}},
		{"negative burst count", `{"sessions": [{"name": "a", "identity": "x"}],
 "timeline": [
   {"at": "1m", "action": "burst", "session": "a", "count": -5}]}`, []string{"bad.json:3:", "timeline[0].count", "negative"}},
		{"unknown fault", `{"sessions": [{"name": "a", "identity": "x"}],
 "timeline": [{"at": "1m",
   "fault": "meteor"}]}`, []string{"bad.json:3:", "timeline[0].fault", `"meteor" is not a fault`, "down", "latency"}},
		{"unknown action", `{"sessions": [{"name": "a", "identity": "x"}],
 "timeline": [{"at": "1m", "action": "reboot"}]}`, []string{"bad.json:2:", "timeline[0].action", "sign-out", "burst"}},
		{"step for a missing session", `{"sessions": [{"name": "a", "identity": "x"}],
 "timeline": [{"at": "1m", "action": "refresh", "session": "b"}]}`, []string{"bad.json:2:", "timeline[0].session", `"b" is not a session`}},
		{"down without for", `{"sessions": [{"name": "a", "identity": "x"}],
 "timeline": [{"at": "1m", "fault": "down"}]}`, []string{"timeline[0].for", "how long"}},
		{"throttle without rate", `{"sessions": [{"name": "a", "identity": "x"}],
 "timeline": [{"at": "1m", "fault": "throttle", "burst": 5}]}`, []string{"bad.json:2:", "timeline[0].rate", "calls it lets through per interval"}},
		{"throttle with count", `{"sessions": [{"name": "a", "identity": "x"}],
 "timeline": [{"at": "1m", "fault": "throttle", "rate": 5, "count": 3}]}`, []string{"timeline[0].count", "drop \"count\""}},
		{"throttle with an unknown bucket", `{"sessions": [{"name": "a", "identity": "x"}],
 "timeline": [{"at": "1m", "fault": "throttle", "rate": 5, "bucket": "tenant"}]}`, []string{"timeline[0].bucket", `"tenant" is not a bucket`, "identity"}},
		{"throttle refilling for ever", `{"sessions": [{"name": "a", "identity": "x"}],
 "timeline": [{"at": "1m", "fault": "throttle", "rate": 1, "interval": "100000h", "burst": 1000}]}`, []string{"timeline[0].burst", "to refill"}},
		{"rate on another fault", `{"sessions": [{"name": "a", "identity": "x"}],
 "timeline": [{"at": "1m", "fault": "fail", "rate": 5}]}`, []string{"timeline[0].rate", "only a throttle fault"}},
		{"latency without latency", `{"sessions": [{"name": "a", "identity": "x"}],
 "timeline": [{"at": "1m", "fault": "latency"}]}`, []string{"timeline[0].latency", "2s"}},
		{"malformed initial token", `{"sessions": [{"name": "a", "identity": "x",
   "initial_token": "abc.def"}]}`, []string{"bad.json:2:", "sessions[0].initial_token", "JWT"}},
		{"duplicate names", `{"sessions": [{"name": "a", "identity": "x"},
  {"name": "a", "identity": "y"}]}`, []string{"bad.json:2:", "sessions[1].name", "already used"}},
		{"missing name", `{"sessions": [{"identity": "a"}]}`, []string{"bad.json:1:", "sessions[0].name", "needs a name"}},
		{"no sessions", `{"name": "x"}`, []string{"bad.json", "at least one session"}},
		{"syntax error", "{\"sessions\": [\n  {\"name\": \"a\",}\n]}", []string{"bad.json:2:", "invalid JSON"}},
		{"trailing data", `{"sessions": [{"name": "a", "identity": "x"}]} {}`, []string{"bad.json:1:", "one JSON object"}},
		{"empty", ``, []string{"bad.json", "empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseScenario("bad.json", []byte(c.json))
			if err == nil {
				t.Fatal("parsed without error")
			}
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Errorf("error is %T, want *ScenarioError", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestScenarioFileParsesDurationsReplicasAndTimeline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "load.json")
	os.WriteFile(path, []byte(`{
  "duration": "2h",
  "sessions": [
    {"name": "u", "identity": "user", "proactive": true, "lifetime": "1h", "count": 3, "callers": 2, "call_interval": "90s",
     "teams": {"renewal_offset": "15m"}}
  ],
  "timeline": [
    {"at": "50m", "fault": "down", "for": "15m"},
    {"at": "1h", "action": "sign-out", "identity": "user-2"},
    {"at": "70m", "action": "burst", "session": "u-3", "count": 10},
    {"at": "80m", "fault": "throttle", "rate": 100, "interval": "1m", "burst": 20, "bucket": "identity", "for": "10m"}
  ]
}`), 0o600)
	sc, err := LoadScenario(path)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "load" || sc.Duration != 2*time.Hour || len(sc.Sessions) != 3 {
		t.Fatalf("scenario %q, duration %s, %d sessions", sc.Name, sc.Duration, len(sc.Sessions))
	}
	s := sc.Sessions[1]
	if s.Name != "u-2" || s.Identity != "user-2" || s.CallInterval != 90*time.Second || s.Lifetime != time.Hour || s.Teams.RenewalOffset != 15*time.Minute {
		t.Errorf("second replica: %+v", s)
	}
	want := []Step{
		{At: 50 * time.Minute, Action: ActionFault, Fault: issuer.Fault{Kind: issuer.FaultDown, Duration: 15 * time.Minute}},
		{At: time.Hour, Action: ActionSignOut, Identity: "user-2"},
		{At: 70 * time.Minute, Action: ActionBurst, Session: "u-3", Count: 10},
		{At: 80 * time.Minute, Action: ActionFault, Fault: issuer.Fault{Kind: issuer.FaultThrottle, Rate: 100,
			Interval: time.Minute, Burst: 20, Bucket: issuer.ThrottleIdentity, Duration: 10 * time.Minute}},
	}
	for i, w := range want {
		if sc.Timeline[i] != w {
			t.Errorf("step %d: %+v, want %+v", i, sc.Timeline[i], w)
		}
	}
}

func TestLoadScenarioNamesAMissingFile(t *testing.T) {
	_, err := LoadScenario(filepath.Join(t.TempDir(), "nope.json"))
	if err == nil || !strings.Contains(err.Error(), "nope.json") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v", err)
	}
}

func TestEveryBuiltinParses(t *testing.T) {
	for _, name := range BuiltinNames() {
		sc, err := Builtin(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if sc.Name != name || sc.Description == "" || len(sc.Sessions) == 0 {
			t.Errorf("%s: name %q, %d sessions", name, sc.Name, len(sc.Sessions))
		}
	}
	if _, err := Builtin("nope"); err == nil || !strings.Contains(err.Error(), "outage") {
		t.Errorf("unknown built-in: %v", err)
	}
}
