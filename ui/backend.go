package ui

import (
	"time"

	"tokentop/issuer"
)

// backend is what the screen needs from the session layer. The session
// Manager is adapted to it in manager.go; keeping the screen on this small
// interface confines knowledge of session types to that one file.
//
// Every method is called from a tea.Cmd, never from Update or View: the
// action methods must not block, and Frame must be a cheap in-memory copy.
type backend interface {
	// Frame copies what the screen shows. detail names the session whose
	// event log and timeline are copied too ("" for none).
	Frame(detail string) frame
	Refresh(name string) error
	Abort(name string) error
	Dispose(name string) error
	SignOut(identity string) error
	Burst(name string, n int) error
	// Remove takes a disposed session off the list.
	Remove(name string) error
	// Faults lists the faults the fault menu offers, in menu order.
	Faults() []faultOption
	InjectFault(fault, session string) error
	// Policies lists the policy names the new-session form cycles through.
	Policies() []string
	// Add adds a session and returns the name it was given.
	Add(spec newSession) (string, error)
	// ClearCache empties the token cache of persisted sessions.
	ClearCache() error
}

// frame is one consistent copy of the sessions, taken off the event loop.
type frame struct {
	Now      time.Time
	Start    time.Time // when the run began on the same clock; zero if unknown
	Speed    float64
	Achieved float64 // virtual seconds per real second made so far; 0 if unknown
	Paused   bool
	Totals   totals
	Sessions []sessionView
	Detail   *sessionDetail // the selected session's history; nil when none
	Run      runInfo        // the scenario, its next step and the issuer's state (runinfo.go)
}

// totals are the header's counters: run totals, which count the sessions
// removed from the list too, so that they never fall.
type totals struct {
	Sessions     int // listed now
	IssuerCalls  int64
	Failures     int64
	TokensServed int64
	// EventsNotKept counts events the sessions' bounded logs no longer hold
	// (each session's Stats.EventsOlder, summed): history trimmed to the log
	// size, still counted in every counter, but no longer listed.
	EventsNotKept int64
}

// faultOption is one entry of the fault menu.
type faultOption struct {
	Label    string
	ClearAll bool // the entry clears every fault rather than injecting one
}

// sessionView is one table row.
type sessionView struct {
	Name, Identity, Policy string
	State                  state
	Static                 bool      // a static credential: one token, never refreshed
	HasToken               bool      // the session holds a token (valid or not)
	InFlight               int       // refreshes in flight, which a aborts
	Waiters                int       // callers waiting on the refresh in flight
	NextAt                 time.Time // next scheduled attempt, for retrying
	// RetryAfter says the issuer asked for a wait (Retry-After) that holds
	// off the next attempt until NextAt; r sends at once all the same.
	RetryAfter          bool
	IssuedAt, ExpiresOn time.Time // of the current token; zero when none
	Window              time.Duration
	Refreshes, Failures int64
	LastLatency         time.Duration
	// ResourceAccepted and ResourceRefused count the resource checks
	// (the fake's /api/me) of the tokens the session's callers got.
	ResourceAccepted, ResourceRefused int64
}

// sessionDetail is the history of the selected session.
type sessionDetail struct {
	Name      string
	Token     string                // raw; decoded for display, never shown whole
	Signature issuer.SignatureCheck // the issuer adapter's verdict on it, if it checks
	Source    string                // where the token came from: issuer, cache, initial, static
	Valid     []interval
	Marks     []laneMark
	Log       []logLine
	// Logged counts every event the session has logged, kept or not; it
	// only grows, so the screen counts the events that arrived while the
	// user had the log scrolled up.
	Logged uint64
	// Revoked says the issuer revoked the token's identity (a sign-out);
	// SignedOut that the identity was signed out, revoked or not.
	Revoked, SignedOut bool
}

// logLine is one event-log entry.
type logLine struct {
	At   time.Time
	Text string
}

// newSession is what the new-session form submits.
type newSession struct {
	Name      string
	Identity  string
	Scopes    []string
	Policy    string
	Proactive bool
	Static    bool          // one token, never refreshed
	Lifetime  time.Duration // asked of the issuer
	Callers   int           // simulated callers calling GetToken
	Interval  time.Duration // between one caller's calls
}
