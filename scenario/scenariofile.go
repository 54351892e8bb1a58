package scenario

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tokentop/credential"
	"tokentop/issuer"
)

// scenarioFile is the JSON form of a scenario file: Durations are strings
// in Go's notation, and a field left out takes its default. The README's
// "Scenarios" section documents the format, its defaults and its limits
// (MaxScenarioSessions, MaxScenarioCallers, MaxCallers, MaxBurst, and the
// maxScenario* bounds on the file itself); the built-ins in scenarios/ are
// examples of it.
type scenarioFile struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Duration    string        `json:"duration"`
	RampUp      string        `json:"ramp_up"`
	Start       string        `json:"start"`
	Latency     string        `json:"issuer_latency"`
	Algorithm   string        `json:"algorithm"`
	Sessions    []sessionFile `json:"sessions"`
	Timeline    []stepFile    `json:"timeline"`
}

type sessionFile struct {
	Name         string     `json:"name"`
	Identity     string     `json:"identity"`
	Scopes       []string   `json:"scopes"` // absent: DefaultScopes; []: the issuer's
	Static       bool       `json:"static"`
	StaticToken  string     `json:"static_token"`
	Proactive    *bool      `json:"proactive"` // absent: DefaultProactive unless static
	InitialToken string     `json:"initial_token"`
	IssueInitial bool       `json:"issue_initial"`
	Persist      bool       `json:"persist"`
	Policy       string     `json:"policy"`
	Lifetime     string     `json:"lifetime"`
	Callers      *int       `json:"callers"` // absent: DefaultCallers
	CallInterval string     `json:"call_interval"`
	Resource     bool       `json:"resource"`
	ResourceURL  string     `json:"resource_url"`
	Count        *int       `json:"count"`
	Teams        *teamsFile `json:"teams"`
}

type teamsFile struct {
	ClientID          string `json:"client_id"`
	UpstreamLifetime  string `json:"upstream_lifetime"`
	RenewalOffset     string `json:"renewal_offset"`
	ForceRefreshUnder string `json:"force_refresh_under"`
}

type stepFile struct {
	At         string `json:"at"`
	Fault      string `json:"fault"`
	For        string `json:"for"`
	Status     int    `json:"status"`
	RetryAfter string `json:"retry_after"`
	Latency    string `json:"latency"`
	Lifetime   string `json:"lifetime"`
	Rate       int    `json:"rate"`
	Interval   string `json:"interval"`
	Burst      int    `json:"burst"`
	Bucket     string `json:"bucket"`
	Action     string `json:"action"`
	Session    string `json:"session"`
	Identity   string `json:"identity"`
	Count      int    `json:"count"`
}

// maxScenarioBytes bounds a scenario file; real ones are a few kilobytes.
const maxScenarioBytes = 4 << 20

// maxScenarioDuration bounds every duration in a scenario file. Far above
// any useful run, it keeps a sum of a few of them (a step's time plus a
// fault's length plus a token's lifetime) far from overflowing.
const maxScenarioDuration = 100_000 * time.Hour

// ScenarioError is a problem in a scenario file, located by line and field.
type ScenarioError struct {
	File  string // the file's name as given
	Line  int    // 1-based; 0 when unknown
	Field string // path of the field, e.g. "sessions[1].policy"; may be empty
	Msg   string // what is wrong and what is allowed
	Err   error  // underlying error, if any
}

// Error reads "file:line: field: what is wrong and what is allowed". A field
// path or message long enough to flood a terminal (an unknown key can be
// megabytes long) is shortened in the middle, and a field path holding
// control characters is quoted.
func (e *ScenarioError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		field := elide(e.Field, 200)
		if checkPrintable(field) != nil {
			field = strconv.Quote(field)
		}
		b.WriteString(field)
		b.WriteString(": ")
	}
	b.WriteString(elide(e.Msg, 1000))
	return b.String()
}

// elide shortens s to about max bytes by cutting out its middle, keeping
// the start (what is wrong) and the end (what is allowed) whole runes.
func elide(s string, max int) string {
	if len(s) <= max {
		return s
	}
	head, tail := max/2, len(s)-max/2+len(" … ")
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	for tail < len(s) && !utf8.RuneStart(s[tail]) {
		tail++
	}
	return s[:head] + " … " + s[tail:]
}

// Unwrap returns the underlying decoding error, if any.
func (e *ScenarioError) Unwrap() error { return e.Err }

// tooLarge says a scenario file is over maxScenarioBytes.
var tooLarge = fmt.Sprintf("the file is larger than %d bytes (4 MiB), the limit; a scenario is a few kilobytes", maxScenarioBytes)

// LoadScenario reads and parses a scenario file, reading at most
// maxScenarioBytes and one byte more, whatever size the file claims.
func LoadScenario(path string) (Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return Scenario{}, fmt.Errorf("cannot read scenario file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxScenarioBytes+1))
	if err != nil {
		return Scenario{}, fmt.Errorf("cannot read scenario file %s: %w", path, err)
	}
	if len(data) > maxScenarioBytes {
		return Scenario{}, &ScenarioError{File: path, Msg: tooLarge}
	}
	sc, err := ParseScenario(path, data)
	if err == nil && sc.Name == "" {
		sc.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if checkPrintable(sc.Name) != nil { // a file name may hold anything
			sc.Name = "scenario"
		}
	}
	return sc, err
}

// ParseScenario parses a scenario from JSON. file names the source in
// errors. Unknown fields, malformed or out-of-range durations, unknown
// policies, fault kinds or actions, negative or oversized counts, and a file
// over the size, nesting or array limits are errors naming the line and
// field and saying what is allowed.
func ParseScenario(file string, data []byte) (Scenario, error) {
	if len(data) > maxScenarioBytes {
		return Scenario{}, &ScenarioError{File: file, Msg: tooLarge}
	}
	lines := jsonLines{data}
	if e := checkJSONShape(data); e != nil {
		path, line := lines.valueAt(e.off)
		if line == 0 {
			line = lines.lineAt(e.off)
		}
		return Scenario{}, &ScenarioError{File: file, Line: line, Field: path, Msg: e.msg}
	}
	fail := func(path, format string, args ...any) error {
		return &ScenarioError{File: file, Line: lines.nearest(path), Field: path, Msg: fmt.Sprintf(format, args...)}
	}

	var sf scenarioFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sf); err != nil {
		return Scenario{}, decodeError(file, lines, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Scenario{}, &ScenarioError{File: file, Line: lines.tokenLine(dec.InputOffset()), Msg: "unexpected data after the scenario object; a file holds one JSON object"}
	}

	if err := checkPrintable(sf.Name); err != nil {
		return Scenario{}, fail("name", "%v", err)
	}
	if err := checkPrintable(sf.Description, '\n', '\t'); err != nil {
		return Scenario{}, fail("description", "%v", err)
	}
	p := durationParser{fail: fail}
	sc := Scenario{Name: sf.Name, Description: sf.Description}
	sc.Duration = p.parse("duration", sf.Duration)
	sc.RampUp = p.parse("ramp_up", sf.RampUp)
	sc.IssuerLatency = p.parse("issuer_latency", sf.Latency)
	if p.err != nil {
		return Scenario{}, p.err
	}
	switch {
	case sf.Latency != "" && sc.IssuerLatency == 0:
		sc.IssuerLatency = -1 // "0s": no latency at all (zero means the default)
	case sc.IssuerLatency > maxIssuerLatency:
		return Scenario{}, fail("issuer_latency", "%s is over %s; an issuer that slow is a hang fault", sc.IssuerLatency, maxIssuerLatency)
	}
	if sf.Algorithm != "" {
		if !slices.Contains(FakeAlgorithms(), sf.Algorithm) {
			return Scenario{}, fail("algorithm", "%q: want one of %s (how the in-process fake issuer signs)", elide(sf.Algorithm, 40), strings.Join(FakeAlgorithms(), ", "))
		}
		sc.Algorithm = sf.Algorithm
	}
	if sf.Start != "" {
		start, err := time.Parse(time.RFC3339, sf.Start)
		if err != nil || start.Year() < 1970 || start.Year() > 9999 {
			return Scenario{}, fail("start", "%q is not an RFC 3339 time from 1970 to 9999, such as \"2026-01-01T00:00:00Z\"", sf.Start)
		}
		sc.Start = start
	}
	if len(sf.Sessions) == 0 {
		return Scenario{}, fail("sessions", "a scenario needs at least one session under \"sessions\"")
	}
	names := map[string]string{}
	identities := map[string]bool{}
	callers := 0 // simulated callers declared so far
	for i, s := range sf.Sessions {
		at := fmt.Sprintf("sessions[%d]", i)
		spec := NewSpec() // what a setting left out means, as with --session
		spec.Name, spec.Identity, spec.Static, spec.StaticToken = s.Name, s.Identity, s.Static, s.StaticToken
		spec.InitialToken, spec.IssueInitial, spec.Policy = s.InitialToken, s.IssueInitial, s.Policy
		spec.Resource, spec.ResourceURL, spec.Persist = s.Resource, s.ResourceURL, s.Persist
		spec.CallInterval = p.parse(at+".call_interval", s.CallInterval)
		if s.Scopes != nil {
			spec.Scopes = s.Scopes
		}
		spec.Proactive = DefaultProactive && !s.Static
		if s.Proactive != nil {
			spec.Proactive = *s.Proactive
		}
		if s.Callers != nil {
			spec.Callers = *s.Callers
		}
		if s.Lifetime != "" { // "0s": the issuer's default
			spec.Lifetime = p.parse(at+".lifetime", s.Lifetime)
		}
		if t := s.Teams; t != nil {
			spec.Teams = &TeamsSpec{
				ClientID:          t.ClientID,
				UpstreamLifetime:  p.parse(at+".teams.upstream_lifetime", t.UpstreamLifetime),
				RenewalOffset:     p.parse(at+".teams.renewal_offset", t.RenewalOffset),
				ForceRefreshUnder: p.parse(at+".teams.force_refresh_under", t.ForceRefreshUnder),
			}
		}
		if spec.Identity == "" { // as with --session: the identity defaults to the name
			spec.Identity = spec.Name
		}
		if p.err != nil {
			return Scenario{}, p.err
		}
		if err := spec.Validate(); err != nil {
			field, msg, _ := strings.Cut(err.Error(), ": ")
			return Scenario{}, fail(at+"."+field, "%s", msg)
		}
		for field, raw := range map[string]string{"initial_token": s.InitialToken, "static_token": s.StaticToken} {
			if _, err := credential.ParseJWT(raw); raw != "" && err != nil {
				return Scenario{}, fail(at+"."+field, "not a usable token: %v; give a JWT with an exp claim, or leave it out to have one issued", err)
			}
		}
		count := 1
		if s.Count != nil {
			if *s.Count < 1 {
				return Scenario{}, fail(at+".count", "%d sessions makes no sense; use 1 or more (or omit count)", *s.Count)
			}
			count = *s.Count
		}
		// Checked before replicate allocates the copies.
		if count > MaxScenarioSessions-len(sc.Sessions) {
			return Scenario{}, fail(at+".count", "%d more sessions would bring the scenario over the limit of %d sessions; use a smaller count", count, MaxScenarioSessions)
		}
		if spec.Callers > 0 && count > (MaxScenarioCallers-callers)/spec.Callers {
			return Scenario{}, fail(at+".callers", "%d callers in each of %d sessions would bring the scenario over the limit of %d simulated callers; use fewer callers or a smaller count",
				spec.Callers, count, MaxScenarioCallers)
		}
		callers += count * spec.Callers
		for _, r := range replicate(spec, count) {
			if len(r.Name) > MaxNameLen || len(r.Identity) > MaxNameLen { // a copy's "-N" can cross the limit
				return Scenario{}, fail(at+".count", "the copies' suffix %q brings a name or identity over the limit of %d bytes; shorten name and identity", fmt.Sprintf("-%d", count), MaxNameLen)
			}
			if prev, dup := names[r.Name]; dup {
				return Scenario{}, fail(at+".name", "session name %q is already used by %s; names must be unique", r.Name, prev)
			}
			names[r.Name] = at
			identities[r.Identity] = true
			sc.Sessions = append(sc.Sessions, r)
		}
	}
	for i, s := range sf.Timeline {
		step, err := parseStep(fmt.Sprintf("timeline[%d]", i), s, names, identities, &p)
		if err != nil {
			return Scenario{}, err
		}
		if step.At > sc.Duration && sc.Duration > 0 {
			return Scenario{}, fail(fmt.Sprintf("timeline[%d].at", i), "%s is after the scenario's duration %s; it would never happen", step.At, sc.Duration)
		}
		sc.Timeline = append(sc.Timeline, step)
	}
	return sc, nil
}

func parseStep(at string, s stepFile, sessions map[string]string, identities map[string]bool, p *durationParser) (Step, error) {
	step := Step{At: p.parse(at+".at", s.At), Session: s.Session, Identity: s.Identity, Count: s.Count}
	if p.err != nil {
		return Step{}, p.err
	}
	if s.At == "" {
		return Step{}, p.fail(at+".at", "a timeline step needs \"at\": when it happens, e.g. \"30m\"")
	}
	if s.Count < 0 {
		return Step{}, p.fail(at+".count", "%d is negative; use a positive count", s.Count)
	}
	if len(s.Identity) > MaxNameLen {
		return Step{}, p.fail(at+".identity", "%s", overLong(s.Identity))
	}
	if err := checkPrintable(s.Identity); err != nil {
		return Step{}, p.fail(at+".identity", "%v", err)
	}
	switch {
	case s.Fault != "" && s.Action != "" && s.Action != string(ActionFault):
		return Step{}, p.fail(at+".action", "a step has either \"fault\" or \"action\", not both")
	case s.Fault != "":
		kind := issuer.FaultKind(s.Fault)
		if !slices.Contains(issuer.FaultKinds(), kind) {
			return Step{}, p.fail(at+".fault", "%q is not a fault; use one of %s", s.Fault, faultKindList())
		}
		if s.Status != 0 && (s.Status < 400 || s.Status > 599) {
			return Step{}, p.fail(at+".status", "%d is not an error status; use 400..599", s.Status)
		}
		step.Action = ActionFault
		if kind == issuer.FaultLatency && s.Latency == "" {
			return Step{}, p.fail(at+".latency", "a latency fault needs \"latency\": how long each call is delayed, e.g. \"2s\"")
		}
		if kind == issuer.FaultDown && s.For == "" {
			return Step{}, p.fail(at+".for", "a down fault needs \"for\": how long the issuer is down, e.g. \"15m\"")
		}
		step.Fault = issuer.Fault{Kind: kind, Identity: s.Identity, Count: s.Count, Status: s.Status,
			Lifetime:   p.parse(at+".lifetime", s.Lifetime),
			RetryAfter: p.parse(at+".retry_after", s.RetryAfter),
			Latency:    p.parse(at+".latency", s.Latency),
			Duration:   p.parse(at+".for", s.For),
			Rate:       s.Rate, Burst: s.Burst, Bucket: issuer.ThrottleBucket(s.Bucket),
			Interval: p.parse(at+".interval", s.Interval)}
		if p.err != nil {
			return Step{}, p.err
		}
		return step, checkThrottle(at, step.Fault, p)
	case s.Action == "":
		return Step{}, p.fail(at, "a timeline step needs \"fault\" (one of %s) or \"action\" (one of %s)",
			faultKindList(), ActionList())
	}
	step.Action = Action(s.Action)
	switch step.Action {
	case ActionClearFaults, ActionRestart:
	case ActionRefresh, ActionAbort, ActionDispose, ActionBurst:
		if _, ok := sessions[s.Session]; !ok {
			return Step{}, p.fail(at+".session", "%q is not a session of this scenario; name one declared under \"sessions\"", s.Session)
		}
		if step.Action == ActionBurst && s.Count < 1 {
			return Step{}, p.fail(at+".count", "a burst needs \"count\": how many concurrent calls (1 or more)")
		}
		if step.Action == ActionBurst && s.Count > MaxBurst {
			return Step{}, p.fail(at+".count", "%d is over the limit of %d concurrent calls per burst; use fewer", s.Count, MaxBurst)
		}
	case ActionSignOut:
		if s.Identity == "" {
			return Step{}, p.fail(at+".identity", "sign-out needs \"identity\": whom to sign out")
		}
		if !identities[s.Identity] {
			return Step{}, p.fail(at+".identity", "%q is not the identity of a session of this scenario; name one declared under \"sessions\" (a copy's is identity-N)", s.Identity)
		}
	default:
		return Step{}, p.fail(at+".action", "%q is not an action; use one of %s", s.Action, ActionList())
	}
	return step, nil
}

// checkThrottle checks a throttle fault's fields, and that no other fault
// carries them: a throttle needs a rate; its burst, interval and bucket are
// optional (the fake issuer fills the defaults).
func checkThrottle(at string, f issuer.Fault, p *durationParser) error {
	if f.Kind != issuer.FaultThrottle {
		for _, field := range []struct {
			name string
			set  bool
		}{{"rate", f.Rate != 0}, {"interval", f.Interval != 0}, {"burst", f.Burst != 0}, {"bucket", f.Bucket != ""}} {
			if field.set {
				return p.fail(at+"."+field.name, "only a throttle fault takes %q; this step's fault is %q", field.name, f.Kind)
			}
		}
		return nil
	}
	switch {
	case f.Count != 0:
		return p.fail(at+".count", "a throttle applies to every call until faults are cleared or its \"for\" ends; drop \"count\"")
	case f.Rate < 1 || f.Rate > issuer.MaxThrottleRate:
		return p.fail(at+".rate", "a throttle needs \"rate\": how many calls it lets through per interval, 1..%d (e.g. 10)", issuer.MaxThrottleRate)
	case f.Burst < 0 || f.Burst > issuer.MaxThrottleBurst:
		return p.fail(at+".burst", "%d is out of range; a burst is 1..%d calls (default: the rate)", f.Burst, issuer.MaxThrottleBurst)
	case f.Interval != 0 && f.Interval < time.Millisecond:
		return p.fail(at+".interval", "%s is too short; use at least 1ms (default 1s)", f.Interval)
	case f.Bucket != "" && f.Bucket != issuer.ThrottleClient && f.Bucket != issuer.ThrottleIdentity:
		return p.fail(at+".bucket", "%q is not a bucket; use %q (one for every call) or %q (one per identity)", f.Bucket, issuer.ThrottleClient, issuer.ThrottleIdentity)
	}
	interval, burst := cmp.Or(f.Interval, time.Second), time.Duration(cmp.Or(f.Burst, f.Rate))
	if every := (interval + time.Duration(f.Rate) - 1) / time.Duration(f.Rate); every > maxScenarioDuration/burst {
		return p.fail(at+".burst", "a burst of %d at one call per %s takes longer than %s to refill; use a smaller burst or a higher rate", burst, every, maxScenarioDuration)
	}
	return nil
}

// ActionList names every timeline action, for error messages.
func ActionList() string {
	var names []string
	for _, a := range actionNames {
		names = append(names, string(a))
	}
	return strings.Join(names, ", ")
}

// faultKindList names the fault kinds a step may use, for error messages.
func faultKindList() string {
	var names []string
	for _, k := range issuer.FaultKinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// replicate expands a spec with count > 1 into numbered copies.
func replicate(s Spec, count int) []Spec {
	if count == 1 {
		return []Spec{s}
	}
	out := make([]Spec, count)
	for i := range out {
		r := s
		r.Name = fmt.Sprintf("%s-%d", s.Name, i+1)
		r.Identity = fmt.Sprintf("%s-%d", s.Identity, i+1)
		out[i] = r
	}
	return out
}

// durationParser parses duration strings, keeping the first error.
type durationParser struct {
	fail func(path, format string, args ...any) error
	err  error
}

func (p *durationParser) parse(path, s string) time.Duration {
	if p.err != nil || s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil && durationSyntaxOK(s):
		p.err = p.fail(path, "%q is over the limit of %s (about 11 years); use a shorter duration", s, hours(maxScenarioDuration))
	case err != nil:
		p.err = p.fail(path, "%q is not a duration; write a number with a unit, such as \"90s\", \"15m\" or \"1h30m\"", s)
	case d < 0:
		p.err = p.fail(path, "%q is negative; durations here are 0 or more", s)
	case d > maxScenarioDuration:
		p.err = p.fail(path, "%q is over the limit of %s (about 11 years); use a shorter duration", s, hours(maxScenarioDuration))
	}
	if p.err != nil {
		return 0
	}
	return d
}

// durationSyntaxOK reports whether s is written like a duration, such that
// time.ParseDuration refused it only for being too large to represent: s
// parses once each run of digits in it is cut to one digit.
func durationSyntaxOK(s string) bool {
	short := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) && i > 0 && isDigit(s[i-1]) {
			continue
		}
		short = append(short, s[i])
	}
	_, err := time.ParseDuration(string(short))
	return err == nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// hours writes a whole number of hours as "100000h".
func hours(d time.Duration) string { return fmt.Sprintf("%dh", d/time.Hour) }

// decodeError turns a json decoding error into a ScenarioError that names the
// line and field and says what is allowed.
func decodeError(file string, lines jsonLines, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &ScenarioError{File: file, Line: lines.lineAt(syn.Offset), Msg: "invalid JSON: " + syn.Error(), Err: err}
	case errors.As(err, &typ):
		field := typ.Field
		want := map[string]string{"int": "a whole number", "bool": "true or false", "string": "a string",
			"[]string": "a list of strings", "float64": "a number"}[typ.Type.String()]
		if want == "" {
			want = typ.Type.String()
		}
		if typ.Type.String() == "string" && durationFields[lastSegment(field)] {
			want = "a duration string such as \"90s\""
		}
		if p, line := lines.keyBefore(field, typ.Offset); line > 0 {
			return &ScenarioError{File: file, Line: line, Field: p, Msg: fmt.Sprintf("got a JSON %s, want %s", typ.Value, want), Err: err}
		}
		return &ScenarioError{File: file, Line: lines.lineAt(typ.Offset), Field: field, Msg: fmt.Sprintf("got a JSON %s, want %s", typ.Value, want), Err: err}
	case errors.Is(err, io.EOF):
		return &ScenarioError{File: file, Msg: "the file is empty; a scenario is a JSON object with \"sessions\"", Err: err}
	}
	const unknown = "json: unknown field "
	if msg := err.Error(); strings.HasPrefix(msg, unknown) {
		name, uerr := strconv.Unquote(strings.TrimPrefix(msg, unknown))
		if uerr != nil {
			name = strings.Trim(strings.TrimPrefix(msg, unknown), `"`)
		}
		path, line, allowed := lines.unknownKey(name)
		if line == 0 {
			path, allowed = name, allowedFields(nil)
		}
		return &ScenarioError{File: file, Line: line, Field: path,
			Msg: fmt.Sprintf("unknown field %q; allowed fields here are %s", elide(name, 100), strings.Join(allowed, ", ")), Err: err}
	}
	return &ScenarioError{File: file, Msg: "cannot decode: " + err.Error(), Err: err}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// maxIssuerLatency bounds a scenario's issuer_latency: an issuer call is
// bounded by session.Options.IssueTimeout (30 s) anyway.
const maxIssuerLatency = time.Minute

var durationFields = map[string]bool{"issuer_latency": true, "duration": true, "lifetime": true, "call_interval": true, "upstream_lifetime": true,
	"renewal_offset": true, "ramp_up": true, "force_refresh_under": true, "at": true, "for": true, "retry_after": true, "latency": true}

// allowedFields lists the JSON field names of the object with that shape
// (its path without indices, such as "sessions.teams"); nil for an object
// not decoded into a struct.
func allowedFields(shape []byte) []string {
	var t reflect.Type
	switch string(shape) {
	case "":
		t = reflect.TypeFor[scenarioFile]()
	case "sessions":
		t = reflect.TypeFor[sessionFile]()
	case "sessions.teams":
		t = reflect.TypeFor[teamsFile]()
	case "timeline":
		t = reflect.TypeFor[stepFile]()
	default:
		return nil
	}
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, tag)
	}
	return names
}
