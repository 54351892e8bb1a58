package session

import (
	"fmt"
	"time"
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
	Fault Fault
}

// Fault describes an issuer fault. It mirrors the fake issuer's Fault; the
// manager hands it to Options.Faults.
type Fault struct {
	// Kind is one of FaultKinds.
	Kind string
	// Identity limits the fault to one identity's token requests; empty
	// means every request.
	Identity string
	// Count limits the fault to the next Count issuer calls; zero means every
	// call while the fault lasts.
	Count int
	// Status is the HTTP status of a failing call (500 by default; 429, 401,
	// 503 ...).
	Status int
	// RetryAfter is the Retry-After a 429 or 503 carries.
	RetryAfter time.Duration
	// Latency is the delay a latency fault adds.
	Latency time.Duration
	// Lifetime is the token lifetime of a short-lifetime fault.
	Lifetime time.Duration
	// Duration is how long the fault lasts (required for down); zero means
	// until cleared or until Count calls have seen it.
	Duration time.Duration
}

// Fault kinds understood by the scenario format (the fake issuer's).
const (
	FaultFail      = "fail"            // calls fail with Status (default 500)
	FaultLatency   = "latency"         // calls take Latency longer
	FaultHang      = "hang"            // calls hang until the caller gives up
	FaultExpired   = "expired-token"   // calls return an already expired token
	FaultMalformed = "malformed-token" // calls return a malformed token
	FaultShort     = "short-lifetime"  // calls return a token shorter than asked
	FaultDown      = "down"            // every call fails with 503 for Duration
)

// FaultKinds lists the fault kinds a scenario may use.
func FaultKinds() []string {
	return []string{FaultFail, FaultLatency, FaultHang, FaultExpired, FaultMalformed, FaultShort, FaultDown}
}

func validFaultKind(kind string) bool {
	for _, k := range FaultKinds() {
		if k == kind {
			return true
		}
	}
	return false
}

// String describes the fault in a few words.
func (f Fault) String() string {
	s := f.Kind
	if f.Status != 0 {
		s += fmt.Sprintf(" %d", f.Status)
	}
	if f.Latency > 0 {
		s += " +" + f.Latency.String()
	}
	if f.RetryAfter > 0 {
		s += " retry-after " + f.RetryAfter.String()
	}
	if f.Count > 0 {
		s += fmt.Sprintf(" for the next %d calls", f.Count)
	}
	if f.Duration > 0 {
		s += " for " + f.Duration.String()
	}
	return s
}
