package session

import (
	"fmt"
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
)

var actionNames = []Action{ActionFault, ActionClearFaults, ActionRefresh, ActionAbort, ActionDispose, ActionSignOut, ActionBurst}

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

// checkSize reports a scenario over MaxScenarioSessions or
// MaxScenarioCallers (ParseScenario already refuses those; a Scenario built
// in code gets the same limits).
func (sc Scenario) checkSize() error {
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
