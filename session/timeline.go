package session

import (
	"errors"
	"fmt"
	"time"

	"tokentop/internal/clock"
)

// timelineTimer is a pending timeline step.
type timelineTimer struct{ timer clock.Timer }

// Start adds the scenario's sessions and schedules its timeline from now.
// With a RampUp, session i of n is added at i*RampUp/n instead of at once
// (a failure to add it then is reported as an action-failed event). If a
// session added at once cannot be added, the sessions added so far stay and
// the error says which failed.
//
// On an event loop every session is added by a step of the loop, also those
// due at once, so that a run of many sessions can be interrupted while they
// are added; a failure to add one is then an action-failed event.
func (m *Manager) Start(sc Scenario) error {
	if err := sc.checkSize(); err != nil {
		return fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	n := time.Duration(len(sc.Sessions))
	for i, spec := range sc.Sessions {
		at := time.Duration(0)
		if sc.RampUp > 0 {
			at = rampOffset(sc.RampUp, i, int(n))
		}
		if at == 0 && m.loop == nil {
			if _, err := m.Add(spec); err != nil {
				return fmt.Errorf("scenario %s: %w", sc.Name, err)
			}
			continue
		}
		if err := m.after(at, func() {
			if _, err := m.Add(spec); err != nil && !errors.Is(err, ErrClosed) {
				m.emit(KindActionFailed, "add session "+spec.Name, err)
			}
		}); err != nil {
			return err
		}
	}
	return m.Schedule(sc.Timeline)
}

// Schedule carries out each step at its At, measured from now on the
// manager's clock. Close cancels the steps not yet due. A step that fails
// is reported as an action-failed event.
func (m *Manager) Schedule(steps []Step) error {
	for _, step := range steps {
		err := m.after(step.At, func() {
			if err := m.Apply(step); err != nil {
				m.emit(KindActionFailed, fmt.Sprintf("timeline step at %s (%s)", step.At, step.Action), err)
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// after runs f after d on the manager's clock, unless Close comes first;
// Close waits for an f that has started.
func (m *Manager) after(d time.Duration, f func()) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	tt := &timelineTimer{}
	m.timers[tt] = struct{}{}
	tt.timer = m.clock.AfterFunc(d, func() {
		m.mu.Lock()
		_, pending := m.timers[tt]
		delete(m.timers, tt)
		m.mu.Unlock()
		if !pending || !m.enter() {
			return
		}
		defer m.wg.Done()
		f()
	})
	return nil
}

// Apply carries out one step now (its At is ignored).
func (m *Manager) Apply(step Step) error {
	switch step.Action {
	case ActionFault:
		return m.InjectFault(step.Fault)
	case ActionClearFaults:
		return m.ClearFaults()
	case ActionRefresh:
		return m.Refresh(step.Session)
	case ActionAbort:
		return m.Abort(step.Session)
	case ActionDispose:
		return m.Dispose(step.Session)
	case ActionSignOut:
		return m.SignOut(step.Identity)
	case ActionBurst:
		return m.Burst(step.Session, step.Count)
	}
	return fmt.Errorf("unknown action %q; use one of %s", step.Action, actionList())
}
