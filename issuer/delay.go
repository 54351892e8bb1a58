package issuer

import (
	"context"
	"time"
)

// Delay collects the waiting an issuer call would do on its clock (injected
// latency, a hang), so that a simulator can play it out as virtual time
// instead of the call blocking. An issuer that finds a Delay in its context
// (see WithDelay) adds to it and returns at once; one that implements
// DelayReporter promises to do so.
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

type delayKey struct{}

// WithDelay returns a context that asks the issuer to report its waiting in d
// rather than wait.
func WithDelay(ctx context.Context, d *Delay) context.Context {
	return context.WithValue(ctx, delayKey{}, d)
}

// DelayFrom returns the Delay that WithDelay put in ctx, or nil.
func DelayFrom(ctx context.Context) *Delay {
	d, _ := ctx.Value(delayKey{}).(*Delay)
	return d
}

// DelayReporter is implemented by issuers that never block on their clock
// when the context carries a Delay: their calls then cost only CPU time,
// which a simulation counts as none.
type DelayReporter interface {
	// ReportsDelay is a marker; it does nothing.
	ReportsDelay()
}
