package fakeissuer

import (
	"time"

	"tokentop/issuer"
)

// ActiveFaults returns the faults the issuer holds now, in the order they
// were injected, as they stand: Count is the calls a fault has left (0 for
// every call) and Duration the time it has left on the issuer's clock,
// rounded up to whole seconds (0 if it has no end). It lets a screen show
// what is injected (session.Manager.ActiveFaults).
func (i *Issuer) ActiveFaults() []issuer.Fault {
	now := i.clock.Now()
	held := i.Faults()
	out := make([]issuer.Fault, len(held))
	for n, f := range held {
		out[n] = f.Fault
		if !f.Until.IsZero() {
			out[n].Duration = wholeSecondsUp(f.Until.Sub(now))
		}
	}
	return out
}

// wholeSecondsUp rounds a positive d up to whole seconds, as Retry-After
// does over HTTP, so that an in-process error reads "retry after 4m27s"
// rather than "retry after 4m26.52039228s". d stays far from overflowing
// (at most MaxFaultDuration).
func wholeSecondsUp(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return (d + time.Second - 1).Truncate(time.Second)
}
