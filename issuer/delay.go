package issuer

import (
	"context"
	"time"

	"tokentop/credential"
)

// Delay is the waiting an issuer call would have done on its clock
// (injected latency, a hang), returned by a DelayReporter's simulated call
// so that a simulator can play it out as virtual time instead of the call
// blocking.
type Delay struct {
	// Latency is how long the call takes on the issuer's clock.
	Latency time.Duration
	// Hang reports that the call would never answer: the caller sees its
	// result only when its own context ends.
	Hang bool
}

// Add adds d to the latency, saturating instead of overflowing; a negative d
// is ignored.
func (l *Delay) Add(d time.Duration) {
	if d <= 0 {
		return
	}
	if l.Latency > maxDuration-d {
		l.Latency = maxDuration
		return
	}
	l.Latency += d
}

const maxDuration = time.Duration(1<<63 - 1)

// DelayReporter is implemented by an in-process issuer (the fake) whose
// calls can be simulated: IssueSimulated costs only CPU time, which a
// simulation counts as none, and says how long the call would have taken.
type DelayReporter interface {
	// IssueSimulated is Issue without the waiting: it returns at once, with
	// the latency and hang the call would have waited through.
	IssueSimulated(ctx context.Context, r Request) (credential.AccessToken, Delay, error)
}
