package session

import (
	"container/heap"
	"errors"
	"fmt"
	"time"

	"tokentop/internal/clock"
	"tokentop/scenario"
)

// timelineTimer is a pending timeline step: when it is due on the
// manager's clock, what it does, and its place in the manager's queue.
type timelineTimer struct {
	timer clock.Timer
	at    time.Time
	seq   uint64 // order of scheduling: ties of at run (and are shown) in this order
	what  string // e.g. "fault: be down for 5m0s", "add session s-12"
	index int    // in timerQueue; -1 once it has fired or been stopped
}

// timerQueue holds the pending timeline steps in order of when they are
// due (a heap, so NextStep and a step's removal stay cheap with thousands
// of ramped-up session adds). Guarded by the manager's mutex.
type timerQueue []*timelineTimer

func (q timerQueue) Len() int { return len(q) }
func (q timerQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q timerQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *timerQueue) Push(x any) {
	t := x.(*timelineTimer)
	t.index = len(*q)
	*q = append(*q, t)
}
func (q *timerQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*q = old[:len(old)-1]
	return t
}

// Start adds the scenario's sessions and schedules its timeline from now.
// With a RampUp, session i of n is added at i*RampUp/n instead of at once.
// Every session is added by a step of the loop, also those due at once, so
// that a run of many sessions can be interrupted while they are added; a
// failure to add one is an action-failed event. A session whose first token
// a blocking issuer must issue (static, IssueInitial) is added off the loop,
// so that the call holds up nothing else. A session spec that is not valid
// is refused before anything starts.
func (m *Manager) Start(sc scenario.Scenario) error {
	if err := sc.CheckSize(); err != nil {
		return fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	for _, spec := range sc.Sessions { // refused now, not as an event later
		if err := spec.Validate(); err != nil {
			return fmt.Errorf("scenario %s: session %s: %w", sc.Name, spec.Name, err)
		}
	}
	n := time.Duration(len(sc.Sessions))
	for i, spec := range sc.Sessions {
		at := time.Duration(0)
		if sc.RampUp > 0 {
			at = scenario.RampOffset(sc.RampUp, i, int(n))
		}
		add := func() {
			if _, err := m.Add(spec); err != nil && !errors.Is(err, ErrClosed) {
				m.emit(KindActionFailed, "add session "+spec.Name, err)
			}
		}
		if err := m.after(at, "add session "+spec.Name, func() {
			if m.blocksOnIssue(spec) {
				m.offLoop(add)
				return
			}
			add()
		}); err != nil {
			return err
		}
	}
	m.mu.Lock()
	m.scenario = scenarioInfo{name: sc.Name, duration: sc.Duration}
	m.mu.Unlock()
	return m.Schedule(sc.Timeline)
}

// Schedule carries out each step at its At, measured from now on the
// manager's clock. Close cancels the steps not yet due. A step that fails
// is reported as an action-failed event.
func (m *Manager) Schedule(steps []scenario.Step) error {
	for _, step := range steps {
		err := m.after(step.At, describeStep(step), func() {
			if err := m.Apply(step); err != nil {
				m.emit(KindActionFailed, fmt.Sprintf("timeline step at +%s (%s)", formatDuration(step.At), step.Action), err)
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// blocksOnIssue reports whether adding or restarting a session of spec
// makes an issuer call that blocks: its first token, from an issuer that is
// not in-process.
func (m *Manager) blocksOnIssue(spec scenario.Spec) bool {
	return !m.inline && (spec.Static || spec.IssueInitial) && spec.StaticToken == "" && spec.InitialToken == ""
}

// after runs f on the loop after d, unless Close comes first. what
// describes the step (NextStep).
func (m *Manager) after(d time.Duration, what string, f func()) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.timerSeq++
	tt := &timelineTimer{at: m.clock.Now().Add(d), seq: m.timerSeq, what: what}
	heap.Push(&m.timers, tt)
	tt.timer = m.clock.AfterFunc(d, func() {
		m.mu.Lock()
		pending := tt.index >= 0
		if pending {
			heap.Remove(&m.timers, tt.index)
		}
		closed := m.closed
		m.mu.Unlock()
		if pending && !closed {
			f()
		}
	})
	return nil
}

// Apply carries out one step now (its At is ignored).
func (m *Manager) Apply(step scenario.Step) error {
	switch step.Action {
	case scenario.ActionFault:
		return m.InjectFault(step.Fault)
	case scenario.ActionClearFaults:
		return m.ClearFaults()
	case scenario.ActionRefresh:
		return m.Refresh(step.Session)
	case scenario.ActionAbort:
		return m.Abort(step.Session)
	case scenario.ActionDispose:
		return m.Dispose(step.Session)
	case scenario.ActionSignOut:
		return m.SignOut(step.Identity)
	case scenario.ActionBurst:
		return m.Burst(step.Session, step.Count)
	case scenario.ActionRestart:
		return m.Restart()
	}
	return fmt.Errorf("unknown action %q; use one of %s", step.Action, scenario.ActionList())
}

// scenarioInfo is the scenario that Start started.
type scenarioInfo struct {
	name     string
	duration time.Duration
}

// Scenario returns the name and the duration of the scenario that Start
// started ("" and 0 before, or when sessions were added one by one).
func (m *Manager) Scenario() (name string, duration time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.scenario.name, m.scenario.duration
}

// NextStep returns the next pending timeline step (or ramped-up session
// add) of Start and Schedule: when it is due on the manager's clock and
// what it does, e.g. "fault: be down for 5m0s". ok is false when none is
// pending.
func (m *Manager) NextStep() (at time.Time, what string, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.timers) == 0 {
		return time.Time{}, "", false
	}
	t := m.timers[0]
	return t.at, t.what, true
}

// describeStep says what a timeline step does, in a few words.
func describeStep(step scenario.Step) string {
	switch step.Action {
	case scenario.ActionFault:
		return "fault: " + step.Fault.String()
	case scenario.ActionClearFaults:
		return "clear faults"
	case scenario.ActionRestart:
		return "restart tokentop"
	case scenario.ActionSignOut:
		return "sign out " + step.Identity
	case scenario.ActionBurst:
		return fmt.Sprintf("burst of %d on %s", step.Count, step.Session)
	}
	return string(step.Action) + " " + step.Session
}
