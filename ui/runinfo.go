package ui

import (
	"time"

	"tokentop/session"
)

// runInfo is what the header says about the run besides its counters.
type runInfo struct {
	Scenario string        // the scenario started; "" when none was
	Duration time.Duration // the scenario's duration; 0 if it has none
	NextAt   time.Time     // when the next timeline step is due; zero when none is pending
	Next     string        // what that step does, e.g. "fault: be down for 5m"
	Faults   []string      // the issuer's active faults, described, when it can list them
	Notice   notice        // the newest issuer-wide event; zero when there was none
}

// notice is an issuer-wide event for the header: a fault, a failed action,
// a sign-out whose tokens the issuer could not revoke.
type notice struct {
	At   time.Time
	Text string
	Warn bool // something did not happen as asked
}

// run reads the scenario, its next step, the active faults and the newest
// issuer-wide event for the header.
func (b *managerBackend) run() runInfo {
	var r runInfo
	r.Scenario, r.Duration = b.m.Scenario()
	if at, what, ok := b.m.NextStep(); ok {
		r.NextAt, r.Next = at, what
	}
	if faults, ok := b.m.ActiveFaults(); ok {
		for _, f := range faults {
			r.Faults = append(r.Faults, f.String())
		}
	}
	if events, _ := b.m.Events(); len(events) > 0 {
		e := events[len(events)-1]
		r.Notice = notice{At: e.At, Text: e.Text(),
			Warn: e.Kind == session.KindRevokeFailed || e.Kind == session.KindActionFailed}
		if e.Session != "" {
			r.Notice.Text = e.Session + ": " + r.Notice.Text
		}
	}
	return r
}
