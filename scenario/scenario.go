package scenario

import (
	"fmt"
	"math/bits"
	"time"

	"tokentop/issuer"
)

// Scenario is a scripted run: the sessions to add and a timeline of faults
// and actions on virtual time measured from the start of the run.
type Scenario struct {
	// Name identifies the scenario (a built-in's name, or the file's).
	Name string
	// Description says what the scenario shows.
	Description string
	// Duration is how long the scenario runs by default, in virtual time.
	Duration time.Duration
	// RampUp spreads the sessions' start: session i of n is added at
	// i*RampUp/n, as users signing in over a while would. Zero adds them all
	// at the start.
	RampUp time.Duration
	// Sessions are added, in order, when the run starts (or over RampUp).
	Sessions []Spec
	// Timeline holds steps to carry out at given virtual times.
	Timeline []Step
	// Start is when a run in sim time starts; zero means DefaultStart.
	Start time.Time
	// IssuerLatency is how long each call of the in-process fake issuer
	// takes in sim and scaled time (session.Options.IssuerLatency); zero
	// means session.DefaultIssuerLatency, negative none.
	IssuerLatency time.Duration
	// Algorithm is how the in-process fake issuer signs: ES256, RS256 or
	// HS256 (FakeAlgorithms); empty leaves it to the run (tokentop signs
	// HS256 in sim time, ES256 on scaled time).
	Algorithm string
}

// FakeAlgorithms are the signing algorithms the in-process fake issuer
// takes (a scenario's algorithm, tokentop's --alg).
func FakeAlgorithms() []string { return []string{"ES256", "RS256", "HS256"} }

// DefaultStart is when a run in sim time starts unless its scenario says:
// a fixed instant, so that two runs print the same times.
func DefaultStart() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// StartTime is when a run of sc in sim time starts: Start, or DefaultStart.
func (sc Scenario) StartTime() time.Time {
	if sc.Start.IsZero() {
		return DefaultStart()
	}
	return sc.Start
}

// Action is what a timeline step does.
type Action string

// Timeline actions.
const (
	ActionFault       Action = "fault"        // inject Step.Fault at the issuer
	ActionClearFaults Action = "clear-faults" // clear every fault
	ActionRefresh     Action = "refresh"      // refresh Step.Session now
	ActionAbort       Action = "abort"        // abort Step.Session's refresh in flight
	ActionDispose     Action = "dispose"      // dispose Step.Session
	ActionSignOut     Action = "sign-out"     // sign Step.Identity out everywhere
	ActionBurst       Action = "burst"        // Step.Count concurrent GetToken calls on Step.Session
	ActionRestart     Action = "restart"      // close and reopen every session, as a restart of tokentop
)

var actionNames = []Action{ActionFault, ActionClearFaults, ActionRefresh, ActionAbort, ActionDispose, ActionSignOut, ActionBurst, ActionRestart}

// Step is one timeline entry.
type Step struct {
	// At is the virtual time since the start of the run.
	At time.Duration
	// Action is what to do.
	Action Action
	// Session names the target of refresh, abort, dispose and burst.
	Session string
	// Identity names whom sign-out signs out.
	Identity string
	// Count is a burst's number of concurrent calls.
	Count int
	// Fault is what a fault step injects.
	Fault issuer.Fault
}

// CheckSize reports a scenario over MaxScenarioSessions or
// MaxScenarioCallers (ParseScenario already refuses those; a Scenario built
// in code gets the same limits).
func (sc Scenario) CheckSize() error {
	if n := len(sc.Sessions); n > MaxScenarioSessions {
		return fmt.Errorf("sessions: %d is over the limit of %d sessions per scenario; use fewer", n, MaxScenarioSessions)
	}
	callers := 0
	for _, s := range sc.Sessions {
		if s.Callers > 0 {
			callers += min(s.Callers, MaxScenarioCallers+1) // no overflow: at most 100,001 per session
		}
		if callers > MaxScenarioCallers {
			return fmt.Errorf("callers: the sessions have over %d simulated callers in total, the limit per scenario; use fewer", MaxScenarioCallers)
		}
	}
	return nil
}

// RampOffset returns when session i of n starts over a ramp-up of rampUp:
// exactly floor(rampUp*i/n), computed in 128 bits because rampUp*i alone
// overflows a Duration (168h times 15,251 does). It never decreases as i
// grows and lies in [0, rampUp]; i is clamped to [0, n], and a ramp-up that
// is not positive, or an n under 1, gives 0.
func RampOffset(rampUp time.Duration, i, n int) time.Duration {
	if rampUp <= 0 || n <= 0 || i <= 0 {
		return 0
	}
	i = min(i, n)
	hi, lo := bits.Mul64(uint64(rampUp), uint64(i))
	q, _ := bits.Div64(hi, lo, uint64(n)) // hi < n since rampUp < 2^63 and i <= n: no panic
	return time.Duration(q)
}
