package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/scenario"
	"tokentop/session"
)

func TestEnvironmentFillsFlagsLeftUnset(t *testing.T) {
	env := map[string]string{
		"TOKENTOP_SPEED":    "120",
		"TOKENTOP_SCENARIO": "outage",
		"TOKENTOP_SESSION":  "name=a,identity=a; name=b,identity=b",
		"TOKENTOP_DURATION": "1h",
		"TOKENTOP_HEADLESS": "true",
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
	spec, err := scenario.ParseSessionFlag("name=alice-chat,identity=alice,scopes=chat+voip,proactive=true,lifetime=90m,callers=3,interval=10s,resource=true", "js")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Name != "alice-chat" || spec.Identity != "alice" || len(spec.Scopes) != 2 || !spec.Proactive ||
		spec.Lifetime != 90*time.Minute || spec.Callers != 3 || spec.CallInterval != 10*time.Second || !spec.Resource || spec.Policy != "js" {
		t.Errorf("spec %+v does not match the flag", spec)
	}
	static, err := scenario.ParseSessionFlag("name=s,static", "")
	if err != nil || !static.Static {
		t.Errorf("a bare boolean key: spec %+v, err %v; want static", static, err)
	}
	teams, err := scenario.ParseSessionFlag("name=t,force-under=10m", "")
	if err != nil {
		t.Fatal(err)
	}
	if teams.Identity != "t" || teams.Teams == nil || teams.Teams.ForceRefreshUnder != 10*time.Minute {
		t.Errorf("spec %+v: want a Teams session forcing upstream refresh under 10m, identity defaulting to the name", teams)
	}
}

func TestSessionFlagRejectsBadValues(t *testing.T) {
	for _, v := range []string{"name=a,callers=-1", "name=a,lifetime=forever", "name=a,proactive=maybe", "justaname", "name=a,static=true,proactive=true"} {
		if _, err := scenario.ParseSessionFlag(v, ""); err == nil {
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
	if _, err := newApp(context.Background(), cfg, func(string) string { return "" }, io.Discard); err == nil || !strings.Contains(err.Error(), "real clock") {
		t.Errorf("--clock with a real issuer: err %v; want a refusal naming the real clock", err)
	}
}

// runBinary runs tokentop's Main in-process, as the binary runs it (stdin
// empty), and returns its exit status and output.
func runBinary(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code = Main(ctx, args, os.Getenv, Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

// wantUsageError checks a run refused its command line: exit 2, nothing on
// stdout, one line on stderr with each of wants.
func wantUsageError(t *testing.T, args []string, wants ...string) string {
	t.Helper()
	code, stdout, stderr := runBinary(t, args...)
	if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "tokentop: ") {
		t.Errorf("%q: exit %d, stdout %.200q, stderr %q; want exit 2, no output, one line", args, code, stdout, stderr)
	}
	for _, w := range wants {
		if !strings.Contains(stderr, w) {
			t.Errorf("%q: stderr %q does not say %q", args, stderr, w)
		}
	}
	return stderr
}

// Issue 14, bug 3: an unknown policy was found after events were printed
// (exit 1, no summary), in a message that listed the names as a Go slice.
func TestUnknownPolicyIsAUsageErrorBeforeAnythingRuns(t *testing.T) {
	for _, args := range [][]string{
		{"--headless", "--policy", "foo"},
		{"--headless", "--scenario", "outage", "--policy", "foo"},
		{"--headless", "--session", "name=x,policy=foo"},
		{"--policy", "foo"},
	} {
		stderr := wantUsageError(t, args, `"foo"`, "tokentop, js, dotnet, java, python")
		if strings.Contains(stderr, "[") {
			t.Errorf("%q: stderr %q lists the policies as a Go slice", args, stderr)
		}
	}
}

// Issue 14, bug 3: "scenario demo: scenario demo: ..." -- Manager.Start
// names the scenario, and the screen's start must not name it again.
func TestAScenarioThatCannotStartIsNamedOnce(t *testing.T) {
	fake, err := fakeissuer.New(fakeissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(session.Options{Issuer: fake, Clock: clock.Real{}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	a := &app{scenario: scenario.Scenario{Name: "demo", Sessions: []scenario.Spec{{Name: "x", Identity: "x", Policy: "cobol"}}}}
	err = a.start(m)
	if err == nil || strings.Count(err.Error(), "scenario demo") != 1 {
		t.Errorf("err %v; want an error naming scenario demo once", err)
	}
}

// Issue 14, bug 11: zero stands for "the default" inside, so a 0 given on
// the command line was taken silently; --duration without --headless was
// ignored while --json without it was refused.
func TestZeroSpeedOrDurationAndHeadlessOnlyFlagsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--speed", "0"}, nil, "--speed 0: want a number from 0.01"},
		{[]string{"--headless", "--clock", "scaled", "--speed", "0"}, nil, "--speed 0: want a number from 0.01"},
		{nil, map[string]string{"TOKENTOP_SPEED": "0"}, "--speed 0"},
		{[]string{"--headless", "--duration", "0"}, nil, "sim time runs as fast as the machine goes; give --duration, or --clock scaled"},
		{[]string{"--headless", "--clock", "sim", "--duration", "0"}, nil, "sim time runs as fast as the machine goes"},
		{[]string{"--headless", "--duration", "-1h"}, nil, "want a positive duration"},
		{[]string{"--duration", "1h"}, nil, "--duration goes with --headless"},
		{[]string{"--json"}, nil, "--json goes with --headless"},
		{[]string{"--fail-on-gap"}, nil, "--fail-on-gap goes with --headless"},
	} {
		_, _, err := parseArgs(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q %v: err %v; want a usage error saying %q", tc.args, tc.env, err, tc.want)
		}
	}
	wantUsageError(t, []string{"--headless", "--speed", "0"}, "--speed 0")
}

// Issue 15, item 3: --duration 0 headless runs until interrupted on real
// or scaled time (a synthetic monitor); a positive duration does not.
func TestDurationZeroHeadlessMeansUntilInterruptedOnRealOrScaledTime(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"--headless", "--issuer", "http://127.0.0.1:1/token", "--duration", "0"}, true},
		{[]string{"--headless", "--clock", "scaled", "--duration", "0"}, true},
		{[]string{"--headless", "--speed", "60", "--duration", "0"}, true},
		{[]string{"--headless", "--clock", "scaled", "--duration", "1h"}, false},
		{[]string{"--headless", "--clock", "scaled"}, false},
	} {
		cfg, _, err := parseArgs(tc.args, func(string) string { return "" }, io.Discard)
		if err != nil || cfg.untilInterrupted != tc.want {
			t.Errorf("%q: until interrupted %v, err %v; want %v, no error", tc.args, cfg.untilInterrupted, err, tc.want)
		}
	}
}

// Issue 14, bugs 11 and 12: an unknown --issuer kind did not list the
// kinds, and its error pointed to --help twice.
func TestUnknownIssuerKindListsTheKindsAndPointsToHelpOnce(t *testing.T) {
	stderr := wantUsageError(t, []string{"--issuer", "ftp://example.com"}, "unknown kind", "fake", "http(s)://", "oauth2:", "exec:", "acs:")
	if n := strings.Count(stderr, "(see tokentop --help"); n != 1 {
		t.Errorf("stderr %q points to --help %d times; want once", stderr, n)
	}
	stderr = wantUsageError(t, []string{"--bogus"}, "(see tokentop --help)")
	if n := strings.Count(stderr, "(see tokentop --help"); n != 1 {
		t.Errorf("stderr %q points to --help %d times; want once", stderr, n)
	}
}

// Issue 14, bug 11: --version printed "dev" whatever the build.
func TestVersionNamesTheBuild(t *testing.T) {
	info := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc1234def5678"}, {Key: "vcs.time", Value: "2026-12-01T23:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := versionLine("", info, true), "tokentop v1.2.3 (abc1234, 2026-12-01T23:00:00Z, modified)"; got != want {
		t.Errorf("versionLine = %q, want %q", got, want)
	}
	info.Main.Version = "(devel)"
	info.Settings[2].Value = "false"
	if got, want := versionLine("", info, true), "tokentop devel (abc1234, 2026-12-01T23:00:00Z)"; got != want {
		t.Errorf("versionLine = %q, want %q", got, want)
	}
	if got, want := versionLine("v9", nil, false), "tokentop v9"; got != want {
		t.Errorf("versionLine with -X main.version = %q, want %q", got, want)
	}
	code, stdout, _ := runBinary(t, "--version")
	if code != 0 || !regexp.MustCompile(`^tokentop \S+( \(.*\))?\n$`).MatchString(stdout) || strings.Contains(stdout, " dev\n") {
		t.Errorf("--version: exit %d, %q; want the build's version line", code, stdout)
	}
}

// Issue 14, bug 12: /api/me said "token is malformed: token is malformed: ...".
func TestAPIMeNamesAMalformedTokenOnce(t *testing.T) {
	base := startFakeIssuer(t)
	req, err := http.NewRequest(http.MethodGet, base+fakeissuer.PathMe, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer not-a-jwt")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	challenge := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "malformed") {
		t.Fatalf("GET /api/me with a malformed token: %d %s; want 401 saying malformed", resp.StatusCode, body)
	}
	for what, text := range map[string]string{"body": string(body), "WWW-Authenticate": challenge} {
		if n := strings.Count(text, "token is malformed"); n != 1 {
			t.Errorf("%s %q says \"token is malformed\" %d times; want once", what, text, n)
		}
	}
}

// Issue 14, bug 12: a timeout's advice named Options.IssueTimeout, which a
// user of the command cannot set; --issuer-timeout sets it, and the advice
// names the flag.
func TestIssuerTimeoutFlagSetsTheLimitAndTheAdviceNamesIt(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hang.json")
	sc := `{"name": "hang", "duration": "10m", "sessions": [{"name": "h", "proactive": true}],
 "timeline": [{"at": "1m", "fault": "hang", "count": 1}, {"at": "2m", "action": "refresh", "session": "h"}]}`
	if err := os.WriteFile(file, []byte(sc), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runBinary(t, "--headless", "--json", "--scenario", file, "--issuer-timeout", "5s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var failed string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Contains(line, `"kind":"refresh-failed"`) {
			failed = line
			break
		}
	}
	if !strings.Contains(failed, "within 5s") || !strings.Contains(failed, "--issuer-timeout") {
		t.Errorf("the hung call's failure %q; want it to fail within 5s, naming --issuer-timeout", failed)
	}
	for _, v := range []string{"0s", "500ms", "11m"} {
		wantUsageError(t, []string{"--issuer-timeout", v}, "--issuer-timeout "+v, "from 1s to 10m")
	}
	cfg, _, err := parseArgs([]string{"--issuer", "http://127.0.0.1:1/getToken", "--issuer-timeout", "2m"}, envOf(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(context.Background(), cfg, envOf(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if a.manager.IssueTimeout != 2*time.Minute {
		t.Errorf("IssueTimeout %v with a real issuer; want the flag's 2m", a.manager.IssueTimeout)
	}
}

// The admin API takes a fault in a scenario file's words (fault, for,
// retry_after), and its earlier names still.
func TestAdminFaultsTakeTheScenarioFilesFieldNames(t *testing.T) {
	base := startFakeIssuer(t)
	post := func(body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+fakeissuer.PathAdminFaults, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&out)
		return resp.StatusCode, out
	}
	status, got := post(`{"fault":"fail","status":429,"count":1,"retry_after":"3s","identity":"alice"}`)
	if status != http.StatusCreated || got["fault"] != "fail" || got["retry_after"] != "3s" || got["identity"] != "alice" {
		t.Errorf("scenario words: %d %v; want 201 echoing fault, retry_after and identity", status, got)
	}
	status, got = post(`{"fault":"down","for":"2m","latency":"1s","lifetime":"5m"}`)
	if status != http.StatusCreated || got["for"] != "2m0s" {
		t.Errorf("for: %d %v; want 201 with for 2m0s", status, got)
	}
	status, got = post(`{"kind":"down","duration":"1m","retryAfter":2}`)
	if status != http.StatusCreated || got["fault"] != "down" || got["for"] != "1m0s" || got["retry_after"] != "2s" {
		t.Errorf("older names: %d %v; want 201 read as fault down for 1m0s, retry_after 2s", status, got)
	}
	if status, got = post(`{"fault":"down","kind":"fail","for":"1m"}`); status != http.StatusBadRequest {
		t.Errorf("both fault and kind: %d %v; want 400", status, got)
	}
}

// Issue 14: the not-a-terminal message said --headless prints JSON lines; it prints text unless --json.
func TestNonTerminalMessageSaysHeadlessPrintsText(t *testing.T) {
	code, _, stderr := runBinary(t)
	if code != exitFailure || !strings.Contains(stderr, "--headless") || !strings.Contains(stderr, "text") || !strings.Contains(stderr, "--json for JSON lines") {
		t.Errorf("exit %d, stderr %q; want exit 1 saying --headless prints text, --json JSON lines", code, stderr)
	}
}

// Issue 14: --help omitted some --session keys, the exit statuses and the
// scenario format.
func TestHelpListsEverySessionKeyExitStatusesAndScenarios(t *testing.T) {
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, envOf(), &stdout, io.Discard); code != exitOK {
		t.Fatalf("--help: exit %d", code)
	}
	help := stdout.String()
	for _, k := range scenario.SessionKeys() {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(k.Key) + ` `).MatchString(help) {
			t.Errorf("--help does not list the --session key %s", k.Key)
		}
	}
	for _, want := range []string{"Exit status: 0", "1 when the run failed", "2 when the command line was wrong",
		`"Scenarios" in README.md`, "--issuer-timeout", "acs:"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help does not say %q", want)
		}
	}
}

// Issue 14: `tokentop fakeissuer --help` had no examples and no endpoints.
func TestFakeIssuerHelpListsEndpointsFaultFieldsAndExamples(t *testing.T) {
	var stdout bytes.Buffer
	if code := runFakeIssuerContext(context.Background(), []string{"--help"}, envOf(), &stdout, io.Discard); code != 0 {
		t.Fatalf("fakeissuer --help: exit %d", code)
	}
	help := stdout.String()
	for _, want := range []string{"Endpoints:", fakeissuer.PathGetToken, fakeissuer.PathGetTokenForTeams, fakeissuer.PathOpenIDConfig,
		fakeissuer.PathJWKS, fakeissuer.PathOAuth2Token, fakeissuer.PathMe, fakeissuer.PathAdminFaults, fakeissuer.PathAdminStats,
		fakeissuer.PathAdminRevoke, "/identities", "Examples:", "curl ", `{"fault":"down","for":"2m"}`,
		"  fault ", "  for ", "  retry_after ", "  latency ", "  lifetime ", "  count ", "  status ", "  identity "} {
		if !strings.Contains(help, want) {
			t.Errorf("fakeissuer --help does not show %q", want)
		}
	}
}

// Issue 14: --session name=x made an inert session (no caller, not
// proactive) where the screen's n form makes one caller, proactive.
func TestSessionFlagDefaultsAreTheNewSessionForms(t *testing.T) {
	spec, err := scenario.ParseSessionFlag("name=x", "")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Identity != "x" || spec.Callers != 1 || !spec.Proactive || spec.Lifetime != time.Hour ||
		strings.Join(spec.Scopes, " ") != "chat voip" || spec.CallInterval != 0 {
		t.Errorf("--session name=x: %+v; want identity x, 1 caller at the default interval, proactive, 1h, chat voip", spec)
	}
	static, err := scenario.ParseSessionFlag("name=s,static", "")
	if err != nil || static.Proactive {
		t.Errorf("--session name=s,static: %+v, %v; want a static session, not proactive", static, err)
	}
	quiet, err := scenario.ParseSessionFlag("name=q,callers=0,proactive=false,scopes=chat", "")
	if err != nil || quiet.Callers != 0 || quiet.Proactive || len(quiet.Scopes) != 1 {
		t.Errorf("explicit values: %+v, %v; want them kept", quiet, err)
	}
}

// Issue 14: scenario files required an identity where --session defaults it
// to the name.
func TestScenarioFileIdentityDefaultsToTheName(t *testing.T) {
	file := filepath.Join(t.TempDir(), "solo.json")
	if err := os.WriteFile(file, []byte(`{"name": "solo", "sessions": [{"name": "carol", "proactive": true}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runBinary(t, "--headless", "--json", "--scenario", file, "--duration", "1h")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var sum struct {
		Sessions []struct{ Name, Identity string } `json:"sessions"`
	}
	if code != 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &sum) != nil || len(sum.Sessions) != 1 || sum.Sessions[0].Identity != "carol" {
		t.Errorf("exit %d (%s), summary %+v; want session carol with identity carol", code, stderr, sum)
	}
}

// readmeSection returns README.md from the heading line to the next heading
// of the same or a higher level (outside code blocks, where "# " starts a
// shell comment).
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md") // the module root's
	if err != nil {
		t.Fatal(err)
	}
	level := strings.IndexByte(heading, ' ')
	var out []string
	in, fenced := false, false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(line, "#") {
			n := strings.IndexByte(line, ' ')
			if line == heading {
				in = true
			} else if in && n > 0 && n <= level && strings.Trim(line[:n], "#") == "" {
				break
			}
		}
		if in {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		t.Fatalf("README.md has no %q", heading)
	}
	return strings.Join(out, "\n")
}

// README's flag table and --help must agree: every flag tokentop takes has
// a row in the table, and every flag in the table is one tokentop takes.
func TestREADMEFlagTableListsEveryFlag(t *testing.T) {
	section := readmeSection(t, "## The command line")
	var rows []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| `-") {
			first, _, _ := strings.Cut(strings.TrimPrefix(line, "|"), "|")
			rows = append(rows, first)
		}
	}
	table := strings.Join(rows, "\n")
	var cfg config
	fs := newFlagSet(&cfg, io.Discard)
	fs.VisitAll(func(f *pflag.Flag) {
		if !regexp.MustCompile("`--" + regexp.QuoteMeta(f.Name) + "[ `]").MatchString(table) {
			t.Errorf("README's flag table has no row for --%s", f.Name)
		}
	})
	for _, m := range regexp.MustCompile("`--([a-z-]+)").FindAllStringSubmatch(table, -1) {
		if fs.Lookup(m[1]) == nil {
			t.Errorf("README's flag table lists --%s, which tokentop does not take", m[1])
		}
	}
}

// README's summary example is what a run prints: every field of the
// outage scenario's summary, of its sessions and of its totals is in the
// example, and the example has no field the summary lacks.
func TestREADMESummaryExampleMatchesARun(t *testing.T) {
	section := readmeSection(t, "## Headless runs and their JSON")
	start := strings.Index(section, `{"type":"summary"`)
	if start < 0 {
		t.Fatal("README's headless section has no summary example")
	}
	end := strings.Index(section[start:], "```")
	var example map[string]any
	if err := json.Unmarshal([]byte(section[start:start+end]), &example); err != nil {
		t.Fatalf("README's summary example is not JSON: %v", err)
	}
	code, stdout, stderr := runBinary(t, "--headless", "--scenario", "outage", "--duration", "2h", "--json")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var real map[string]any
	if code != 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &real) != nil {
		t.Fatalf("exit %d (%s): no summary", code, stderr)
	}
	sameKeys := func(what string, a, b any) {
		am, _ := a.(map[string]any)
		bm, _ := b.(map[string]any)
		for k := range bm {
			if _, ok := am[k]; !ok {
				t.Errorf("%s: README's example lacks %q", what, k)
			}
		}
		for k := range am {
			if _, ok := bm[k]; !ok {
				t.Errorf("%s: README's example has %q, which a run does not print", what, k)
			}
		}
	}
	sameKeys("summary", example, real)
	sameKeys("totals", example["totals"], real["totals"])
	es, _ := example["sessions"].([]any)
	rs, _ := real["sessions"].([]any)
	if len(es) == 0 || len(rs) == 0 {
		t.Fatal("no sessions in the example or the run")
	}
	sameKeys("a session", es[0], rs[0])
	if example["scenario"] != "outage" || example["scenario"] != real["scenario"] {
		t.Errorf("the example is of scenario %v; want outage's", example["scenario"])
	}
}

// Issue 20, defect 15: --session interval=1ns was taken.
func TestSessionFlagRefusesAnIntervalUnderOneMillisecond(t *testing.T) {
	_, err := scenario.ParseSessionFlag("name=a,interval=1ns", "")
	if err == nil || !strings.Contains(err.Error(), "under the floor of 1ms") {
		t.Errorf("interval=1ns: error %v; want one naming the floor of 1ms", err)
	}
	if _, err := scenario.ParseSessionFlag("name=a,interval=1ms", ""); err != nil {
		t.Errorf("interval=1ms: %v; want it accepted", err)
	}
}

// Issue 20, defect 7: --session took names of any length.
func TestSessionFlagRefusesANameOver256Bytes(t *testing.T) {
	for _, v := range []string{"name=" + strings.Repeat("n", 4000), "name=a,identity=" + strings.Repeat("i", 4000)} {
		if _, err := scenario.ParseSessionFlag(v, ""); err == nil || !strings.Contains(err.Error(), "over the limit of 256 bytes") {
			t.Errorf("--session %.20s...: error %.200v; want one naming the limit of 256 bytes", v, err)
		}
	}
}
