package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates on the heap, an upper bound on how
// far it can raise the peak heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

const mb = 1 << 20

// nested is a valid scenario with depth nested arrays under an unknown key.
func nested(depth int) []byte {
	return []byte(`{"sessions":[{"name":"a","identity":"a"}],"x":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`)
}

// The line index used to hold a path per nesting level: memory grew with the
// square of the depth, and a 160 KB file ran the process out of memory.
func TestDeeplyNestedScenarioIsRefusedNamingTheDepthLimitInBoundedMemory(t *testing.T) {
	for _, c := range []struct {
		depth int
		limit uint64 // bytes allocated
	}{
		{5_000, 1 * mb},   // 10 KB; took 54 MB
		{80_000, 50 * mb}, // 160 KB; ran out of memory
	} {
		path := filepath.Join(t.TempDir(), "deep.json")
		if err := os.WriteFile(path, nested(c.depth), 0o600); err != nil {
			t.Fatal(err)
		}
		var err error
		got := allocated(func() { _, err = LoadScenario(path) })
		if got > c.limit {
			t.Fatalf("depth %d: refusing it allocated %d MB, want under %d MB", c.depth, got/mb, c.limit/mb)
		}
		var se *ScenarioError
		if !errors.As(err, &se) {
			t.Fatalf("depth %d: error %v, want a *ScenarioError", c.depth, err)
		}
		for _, w := range []string{path + ":1:", "x[0]", "deeper than 32 levels"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("depth %d: error %q does not contain %q", c.depth, err, w)
			}
		}
	}
	if _, err := ParseScenario("ok.json", nested(maxScenarioDepth-1)); err == nil || !strings.Contains(err.Error(), `unknown field "x"`) {
		t.Errorf("nesting at the limit: %v, want the unknown field named", err)
	}
}

// A path was built for every key and element before any check: a long key
// over many elements took memory in proportion to their product, and each
// item of a long "sessions" array decoded into a struct a hundred times its
// size.
func TestLongKeysAndLongArraysTakeMemoryInProportionToTheFile(t *testing.T) {
	longKey := `{"sessions":[{"name":"a","identity":"a"}],
"x": {"` + strings.Repeat("k", 32<<10) + `": [` + strings.Repeat("1,", 10_000) + `1]}}`
	for _, c := range []struct {
		name, json string
		want       []string
	}{
		// took 330 MB; the error shortens the key
		{"long key over many elements", longKey, []string{"big.json:2:", `unknown field "x"`, "allowed fields here are name"}},
		// took 1.4 GB
		{"long sessions array", `{"sessions": [` + strings.Repeat("{},", maxScenarioArrayItems) + `{}]}`,
			[]string{"big.json:1:", "sessions: ", "the array holds over 100000 items"}},
		{"long array of numbers", `{"sessions": [{"name":"a","identity":"a"}],
 "x": [[` + strings.Repeat("1,", 1_000_000) + `1]]}`, []string{"big.json:2:", "x[0]: ", "over 100000 items"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if got := allocated(func() { _, err = ParseScenario("big.json", []byte(c.json)) }); got > 3*uint64(len(c.json))+mb {
				t.Errorf("allocated %d KB for a %d KB file", got>>10, len(c.json)>>10)
			}
			if err == nil {
				t.Fatal("parsed without error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %.300q does not contain %q", err, w)
				}
			}
			if len(err.Error()) > 1500 {
				t.Errorf("error is %d bytes long; it should fit a terminal", len(err.Error()))
			}
		})
	}
	if _, err := ParseScenario("ok.json", []byte(`{"sessions": [{"name":"a","identity":"a","scopes":[`+strings.Repeat(`"s",`, maxScenarioArrayItems-1)+`"s"]}]}`)); err != nil {
		t.Errorf("an array at the limit: %v", err)
	}
}

func TestLoadScenarioReadsAtMostTheSizeLimitFromAnEndlessFile(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	var err error
	if got := allocated(func() { _, err = LoadScenario("/dev/zero") }); got > 10*maxScenarioBytes { // io.ReadAll grows its buffer by doubling; more under -race
		t.Errorf("allocated %d MB reading an endless file", got/mb)
	}
	if err == nil || !strings.Contains(err.Error(), "/dev/zero: the file is larger than 4194304 bytes") {
		t.Errorf("error %v, want the size limit named", err)
	}
	if _, err := ParseScenario("big.json", make([]byte, maxScenarioBytes+1)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ParseScenario of too many bytes: %v", err)
	}
}

// Durations were unbounded: "ramp_up": "168h" over 20,000 sessions, or any
// sum of long ones, overflowed; and one too long to represent was called
// "not a duration".
func TestDurationsOverTheLimitAreErrorsNamingTheField(t *testing.T) {
	session := `{"name": "a", "identity": "x"}`
	for _, c := range []struct{ json, want string }{
		{`{"ramp_up": "100001h", "sessions": [` + session + `]}`, `bad.json:1: ramp_up: "100001h" is over the limit of 100000h`},
		{`{"duration": "9999999999h", "sessions": [` + session + `]}`, `bad.json:1: duration: "9999999999h" is over the limit of 100000h`},
		{`{"sessions": [{"name": "a", "identity": "x",
  "teams": {"renewal_offset": "6000001m"}}]}`, `bad.json:2: sessions[0].teams.renewal_offset: "6000001m" is over`},
		{`{"sessions": [` + session + `],
 "timeline": [{"at": "1m", "fault": "down", "for": "1000000h"}]}`, `bad.json:2: timeline[0].for: "1000000h" is over`},
		{`{"sessions": [` + session + `], "timeline": [{"at": "1m", "fault": "fail", "retry_after": "1e9h"}]}`,
			`timeline[0].retry_after: "1e9h" is not a duration`},
	} {
		_, err := ParseScenario("bad.json", []byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n error %v\n want %s", c.json, err, c.want)
		}
	}
	sc, err := ParseScenario("ok.json", []byte(`{"ramp_up": "100000h", "duration": "6000000m", "sessions": [`+session+`]}`))
	if err != nil || sc.RampUp != maxScenarioDuration || sc.Duration != maxScenarioDuration {
		t.Errorf("durations at the limit: %v, ramp-up %s, duration %s", err, sc.RampUp, sc.Duration)
	}
}

// A type error used to be placed at the first key of that name, which could
// be an earlier, valid one.
func TestTypeErrorsNameTheElementHoldingTheBadValue(t *testing.T) {
	_, err := ParseScenario("bad.json", []byte(`{"sessions": [
  {"name": "a", "identity": "x", "lifetime": "1h"},
  {"name": "b", "identity": "y",
   "lifetime": 60}]}`))
	if err == nil || !strings.Contains(err.Error(), "bad.json:4: sessions[1].lifetime: got a JSON number") {
		t.Errorf("error %v, want it at line 4, sessions[1].lifetime", err)
	}
}

func TestScenarioErrorsQuoteControlCharactersAndShortenHugeFields(t *testing.T) {
	_, err := ParseScenario("bad.json", []byte(`{"sessions": [{"name": "a", "identity": "x", "bad\u001b[2Jkey": 1}]}`))
	if err == nil || strings.ContainsRune(err.Error(), '\x1b') || !strings.Contains(err.Error(), `sessions[0].bad\x1b[2Jkey`) {
		t.Errorf("error %q, want the escape quoted", err)
	}
	e := &ScenarioError{File: "f.json", Line: 1, Field: strings.Repeat("é", 1000), Msg: strings.Repeat("m", 5000) + " use X"}
	if s := e.Error(); len(s) > 1300 || !strings.HasSuffix(s, " use X") || !strings.Contains(s, " … ") || !strings.HasPrefix(s, "f.json:1: éé") {
		t.Errorf("shortened error %q (%d bytes)", s, len(s))
	}
	if s := fmt.Sprint(e); !strings.Contains(s, "é … é") {
		t.Errorf("field not cut between runes: %q", s[:300])
	}
}

// Issue 20, defect 15: "call_interval": "1ns" was taken, and made an hour
// of sim time take about six days of CPU.
func TestCallIntervalUnderOneMillisecondIsRefusedNamingTheFloor(t *testing.T) {
	for bad, shown := range map[string]string{"1ns": "1ns", "999us": "999µs"} {
		_, err := ParseScenario("bad.json", []byte(`{"sessions": [{"name": "a", "callers": 1, "call_interval": "`+bad+`"}]}`))
		want := `bad.json:1: sessions[0].call_interval: ` + shown + ` is under the floor of 1ms`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("call_interval %s: error %v; want %q", bad, err, want)
		}
	}
	for _, ok := range []string{`"call_interval": "1ms", `, ``} {
		if _, err := ParseScenario("ok.json", []byte(`{"sessions": [{`+ok+`"name": "a", "callers": 1}]}`)); err != nil {
			t.Errorf("%s: %v; want it accepted (1ms is the floor, and none means the default)", ok, err)
		}
	}
}

// Issue 20, defect 7: 1000 sessions with 4000-character names (a 4 MB
// scenario, under the file limit) made a 186 MB scrape. Names and
// identities are refused over 256 bytes at load, with an error that names
// the field and the limit without echoing the whole name.
func TestNamesAndIdentitiesOver256BytesAreRefusedAtLoad(t *testing.T) {
	long := strings.Repeat("n", 4000)
	at256 := strings.Repeat("n", 256)
	for _, c := range []struct{ json, field string }{
		{`{"sessions": [{"name": "` + long + `"}]}`, "sessions[0].name"},
		{`{"sessions": [{"name": "a", "identity": "` + long + `"}]}`, "sessions[0].identity"},
		{`{"sessions": [{"name": "` + at256 + `", "count": 2}]}`, "sessions[0].count"},
		{`{"sessions": [{"name": "a"}], "timeline": [{"at": "1m", "action": "sign-out", "identity": "` + long + `"}]}`, "timeline[0].identity"},
	} {
		_, err := ParseScenario("big.json", []byte(c.json))
		if err == nil || !strings.Contains(err.Error(), "big.json:1: "+c.field+": ") || !strings.Contains(err.Error(), "limit of 256 bytes") {
			t.Errorf("%s: error %.300v; want one naming the field and the limit of 256 bytes", c.field, err)
		} else if len(err.Error()) > 300 {
			t.Errorf("%s: the error is %d bytes long; want the name cut short", c.field, len(err.Error()))
		}
	}
	if _, err := ParseScenario("ok.json", []byte(`{"sessions": [{"name": "`+at256+`"}]}`)); err != nil {
		t.Errorf("a 256-byte name: %v; want it accepted", err)
	}
}
