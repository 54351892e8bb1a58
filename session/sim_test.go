package session

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"tokentop/internal/clock"
	"tokentop/issuer"
	"tokentop/scenario"
)

// simEpoch is where the tests' simulated time starts.
var simEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// playSim plays sc headless on a new sim clock over a new fake issuer and
// returns what it wrote and its summary.
func playSim(t testing.TB, sc scenario.Scenario, seed uint64, asJSON bool) (string, Summary) {
	t.Helper()
	loop := clock.NewSim(simEpoch)
	opts, _ := fakeOptionsAlg(t, loop, "HS256")
	opts.Seed = seed
	var out bytes.Buffer
	sum, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: opts, Out: &out, JSON: asJSON})
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), sum
}

func builtin(t testing.TB, name string) scenario.Scenario {
	t.Helper()
	sc, err := scenario.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestEveryBuiltinScenarioPlaysByteForByteTheSameInSimTime(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, name := range scenario.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			sc := builtin(t, name)
			for _, asJSON := range []bool{true, false} {
				runtime.GOMAXPROCS(2)
				first, sum := playSim(t, sc, 7, asJSON)
				second, _ := playSim(t, sc, 7, asJSON)
				runtime.GOMAXPROCS(1)
				single, _ := playSim(t, sc, 7, asJSON)
				if first != second {
					t.Fatalf("json=%v: two runs differ:\n%s", asJSON, firstDifference(first, second))
				}
				if first != single {
					t.Fatalf("json=%v: GOMAXPROCS=1 differs from 2:\n%s", asJSON, firstDifference(first, single))
				}
				if sum.EventsPublished == 0 || sum.EventsWritten != sum.EventsPublished || sum.EventsDropped != 0 {
					t.Errorf("events: %d published, %d written, %d dropped", sum.EventsPublished, sum.EventsWritten, sum.EventsDropped)
				}
			}
		})
	}
}

func TestSimSummarySaysItsClockAndSeed(t *testing.T) {
	out, sum := playSim(t, builtin(t, "demo"), 42, true)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if last["clock"] != "sim" || last["seed"] != float64(42) {
		t.Errorf("summary clock %v seed %v, want sim and 42", last["clock"], last["seed"])
	}
	if sum.Interrupted || time.Duration(sum.VirtualSeconds*1e9) != builtin(t, "demo").Duration {
		t.Errorf("virtual seconds %v, interrupted %v; want the scenario's whole duration", sum.VirtualSeconds, sum.Interrupted)
	}
	text, _ := playSim(t, builtin(t, "demo"), 42, false)
	if !strings.Contains(text, "(sim clock, seed 42)") {
		t.Errorf("the text summary does not name the clock and seed:\n%s", text[max(0, len(text)-600):])
	}
}

// The other seed changes the retry jitter and so the retry times of the
// outage scenario (its tokentop session retries through the outage).
func TestSimRetryTimesFollowTheSeed(t *testing.T) {
	a, _ := playSim(t, builtin(t, "outage"), 1, true)
	b, _ := playSim(t, builtin(t, "outage"), 2, true)
	if a == b {
		t.Error("seeds 1 and 2 gave the same run: the retry jitter does not follow the seed")
	}
}

// The herd in sim time makes exactly the calls the synctest test
// (TestHerdCoalescingPoliciesCallTheIssuerOncePerRefreshJavaOncePerCaller)
// pins: two refreshes in 90 minutes of 1-hour tokens, once per caller for java.
func TestHerdInSimTimeMakesExactlyTheCallCountsOfTheSynctestTest(t *testing.T) {
	_, sum := playSim(t, builtin(t, "herd"), 1, true)
	by := map[string]SessionSummary{}
	for _, s := range sum.Sessions {
		by[s.Name] = s
	}
	for _, name := range []string{"tokentop", "js", "dotnet", "python"} {
		if got := by[name].IssuerCalls; got != 2 {
			t.Errorf("%s: %d issuer calls, want 2", name, got)
		}
	}
	if got := by["java"].IssuerCalls; got != 2*500 {
		t.Errorf("java: %d issuer calls, want %d", got, 2*500)
	}
	// 500 callers a minute from 1m. The calls at 61m wait 20 ms for the
	// refresh (the issuer's latency), so the next ones come 20 ms later and
	// the one due at 90m+20ms falls after the end: 89 calls each.
	if got := by["tokentop"].GetTokenCalls; got != 500*89 {
		t.Errorf("tokentop: %d GetToken calls, want %d", got, 500*89)
	}
}

func TestOutageInSimTimeKeepsTokentopsTokenWhileJSLetsItLapse(t *testing.T) {
	_, sum := playSim(t, builtin(t, "outage"), 1, true)
	by := map[string]SessionSummary{}
	for _, s := range sum.Sessions {
		by[s.Name] = s
	}
	tt, js := by["tokentop"], by["js"]
	if tt.TokenGapSeconds != 0 || tt.Failures == 0 || tt.ResourceRefused != 0 {
		t.Errorf("tokentop: gap %gs, %d failures, %d refusals; want no gap, some failures, no refusal", tt.TokenGapSeconds, tt.Failures, tt.ResourceRefused)
	}
	if js.TokenGapSeconds <= 0 {
		t.Errorf("js token gap %gs, want > 0", js.TokenGapSeconds)
	}
}

func TestSimRunStopsWhenItsContextEnds(t *testing.T) {
	loop := clock.NewSim(simEpoch)
	opts, _ := fakeOptionsAlg(t, loop, "HS256")
	ctx, cancel := context.WithCancel(context.Background())
	// A caller that cancels the run at 10 virtual minutes.
	loop.AfterFunc(10*time.Minute, cancel)
	sum, err := RunHeadless(ctx, builtin(t, "demo"), HeadlessOptions{Manager: opts, Duration: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// The loop looks at its context between batches of callbacks, so it may
	// run a little past 10 minutes, but not to the end.
	if !sum.Interrupted || sum.VirtualSeconds < 600 || sum.VirtualSeconds >= 24*3600 {
		t.Errorf("interrupted %v after %gs; want an interrupted run soon after 600s", sum.Interrupted, sum.VirtualSeconds)
	}
}

func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "line " + strconv.Itoa(i+1) + ":\n  " + la[i] + "\n  " + lb[i]
		}
	}
	return "one output is a prefix of the other: " + strconv.Itoa(len(la)) + " and " + strconv.Itoa(len(lb)) + " lines"
}

func TestScenarioFileSetsTheSimStartAndTheIssuerLatency(t *testing.T) {
	sc, err := scenario.ParseScenario("lat.json", []byte(`{"start": "2030-05-06T07:08:09Z", "issuer_latency": "150ms", "duration": "10m",
 "sessions": [{"name": "a", "identity": "a", "proactive": true, "lifetime": "1h", "callers": 1, "call_interval": "1m"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !sc.StartTime().Equal(time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)) || sc.IssuerLatency != 150*time.Millisecond {
		t.Fatalf("start %v, latency %v", sc.StartTime(), sc.IssuerLatency)
	}
	loop := clock.NewSim(sc.StartTime())
	opts, _ := fakeOptionsAlg(t, loop, "HS256")
	opts.IssuerLatency = sc.IssuerLatency
	var out bytes.Buffer
	if _, err := RunHeadless(context.Background(), sc, HeadlessOptions{Manager: opts, Out: &out, JSON: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"at":"2030-05-06T07:08:09.15Z"`) || !strings.Contains(out.String(), `"latency_ms":150`) {
		t.Errorf("the first refresh did not end 150 ms after the scenario's start:\n%.600s", out.String())
	}
	for _, bad := range []string{`"start": "yesterday"`, `"issuer_latency": "2h"`, `"issuer_latency": "-1s"`} {
		_, err := scenario.ParseScenario("bad.json", []byte(`{`+bad+`, "sessions": [{"name": "a", "identity": "a"}]}`))
		if err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}

func TestHeadlessObserverSeesEveryEventInOrderAndStartedTheManager(t *testing.T) {
	loop := clock.NewSim(simEpoch)
	opts, _ := fakeOptionsAlg(t, loop, "HS256")
	var seen []uint64
	var started *Manager
	sum, err := RunHeadless(context.Background(), builtin(t, "outage"), HeadlessOptions{Manager: opts,
		Observe: func(e Event) { seen = append(seen, e.Seq) },
		Started: func(m *Manager) { started = m }})
	if err != nil {
		t.Fatal(err)
	}
	if started == nil || uint64(len(seen)) != sum.EventsPublished {
		t.Fatalf("observed %d of %d events, manager %v", len(seen), sum.EventsPublished, started)
	}
	for i, seq := range seen {
		if seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d: out of order", i, seq)
		}
	}
}

// A static session whose token could not be issued answers its callers
// with why on the loop, like everything else in sim time: two runs of a
// scenario that leaves one without its token are byte-identical, also at
// GOMAXPROCS=1.
func TestStaticSessionWithoutItsTokenPlaysByteForByteTheSameInSimTime(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	sc := scenario.Scenario{Name: "static-down", Duration: time.Hour, RampUp: time.Minute,
		Sessions: []scenario.Spec{
			{Name: "a", Identity: "alice", Proactive: true, Lifetime: time.Hour},
			{Name: "st", Identity: "sam", Static: true, Lifetime: 30 * time.Minute, Callers: 5, CallInterval: 7 * time.Second},
		},
		Timeline: []scenario.Step{
			{At: 0, Action: scenario.ActionFault, Fault: issuer.Fault{Kind: issuer.FaultDown, Duration: 10 * time.Minute}},
			{At: 20 * time.Minute, Action: scenario.ActionRefresh, Session: "st"},
		}}
	runtime.GOMAXPROCS(2)
	first, sum := playSim(t, sc, 7, true)
	if st := sum.Sessions[1]; st.Name != "st" || st.GetTokenErrors == 0 || st.Successes != 1 {
		t.Fatalf("session %s: %d GetToken errors, %d successes; want errors while it had no token, then its token", st.Name, st.GetTokenErrors, st.Successes)
	}
	for i := range 3 {
		if again, _ := playSim(t, sc, 7, true); again != first {
			t.Fatalf("run %d differs:\n%s", i+2, firstDifference(first, again))
		}
	}
	runtime.GOMAXPROCS(1)
	if single, _ := playSim(t, sc, 7, true); single != first {
		t.Fatalf("GOMAXPROCS=1 differs from 2:\n%s", firstDifference(first, single))
	}
}
