package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestEnvironmentFillsFlagsLeftUnset(t *testing.T) {
	env := map[string]string{
		"TOKENTOP_SPEED":    "120",
		"TOKENTOP_SCENARIO": "outage",
		"TOKENTOP_SESSION":  "name=a,identity=a; name=b,identity=b",
		"TOKENTOP_DURATION": "1h",
	}
	cfg, _, err := parseArgs([]string{"--speed", "30"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.speed != 30 {
		t.Errorf("speed %v: the flag must win over TOKENTOP_SPEED", cfg.speed)
	}
	if cfg.scenario != "outage" || !cfg.scenarioSet || cfg.duration != time.Hour {
		t.Errorf("scenario %q (set %v), duration %v: want outage from the environment, 1h", cfg.scenario, cfg.scenarioSet, cfg.duration)
	}
	if len(cfg.sessions) != 2 || cfg.sessions[1] != "name=b,identity=b" {
		t.Errorf("sessions %q: want two from TOKENTOP_SESSION", cfg.sessions)
	}
}

func TestBadEnvironmentValueIsAUsageError(t *testing.T) {
	_, _, err := parseArgs(nil, func(k string) string {
		if k == "TOKENTOP_SPEED" {
			return "warp9"
		}
		return ""
	}, io.Discard)
	if _, ok := err.(usageError); !ok || err == nil {
		t.Fatalf("err %v: want a usage error naming TOKENTOP_SPEED", err)
	}
}

func TestSessionFlagBuildsASpec(t *testing.T) {
	spec, err := parseSessionFlag("name=alice-chat,identity=alice,scopes=chat+voip,proactive=true,lifetime=90m,callers=3,interval=10s,resource=true", "js")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Name != "alice-chat" || spec.Identity != "alice" || len(spec.Scopes) != 2 || !spec.Proactive ||
		spec.Lifetime != 90*time.Minute || spec.Callers != 3 || spec.CallInterval != 10*time.Second || !spec.Resource || spec.Policy != "js" {
		t.Errorf("spec %+v does not match the flag", spec)
	}
	static, err := parseSessionFlag("name=s,static", "")
	if err != nil || !static.Static {
		t.Errorf("a bare boolean key: spec %+v, err %v; want static", static, err)
	}
	teams, err := parseSessionFlag("name=t,force-under=10m", "")
	if err != nil {
		t.Fatal(err)
	}
	if teams.Identity != "t" || teams.Teams == nil || teams.Teams.ForceRefreshUnder != 10*time.Minute {
		t.Errorf("spec %+v: want a Teams session forcing upstream refresh under 10m, identity defaulting to the name", teams)
	}
}

func TestSessionFlagRejectsBadValues(t *testing.T) {
	for _, v := range []string{"name=a,callers=-1", "name=a,lifetime=forever", "name=a,proactive=maybe", "justaname", "name=a,static=true,proactive=true"} {
		if _, err := parseSessionFlag(v, ""); err == nil {
			t.Errorf("--session %q: want an error", v)
		}
	}
}

func TestClockIsSimHeadlessUnlessASpeedAsksForScaled(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--headless"}, clockSim},
		{[]string{"--headless", "--speed", "3600"}, clockScaled},
		{[]string{"--headless", "--clock", "scaled"}, clockScaled},
		{nil, clockScaled},
	} {
		cfg, _, err := parseArgs(tc.args, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if got := cfg.clockMode(); got != tc.want {
			t.Errorf("%q: clock %s, want %s", tc.args, got, tc.want)
		}
	}
}

func TestClockFlagRefusesWhatCannotWork(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--clock", "sim"}, "--clock sim goes with --headless"},
		{[]string{"--headless", "--clock", "sim", "--speed", "60"}, "goes with --clock scaled"},
		{[]string{"--headless", "--clock", "fast"}, "want sim or scaled"},
		{[]string{"--fail-on-gap"}, "--fail-on-gap goes with --headless"},
	} {
		_, _, err := parseArgs(tc.args, func(string) string { return "" }, io.Discard)
		if _, ok := err.(usageError); !ok || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v; want a usage error saying %q", tc.args, err, tc.want)
		}
	}
	cfg, _, err := parseArgs([]string{"--headless", "--clock", "sim", "--issuer", "http://127.0.0.1:1/getToken"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newApp(cfg, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "real clock") {
		t.Errorf("--clock with a real issuer: err %v; want a refusal naming the real clock", err)
	}
}
