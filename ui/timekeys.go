package ui

import tea "charm.land/bubbletea/v2"

// timeChange is a p, + or - key.
type timeChange int

const (
	timePause timeChange = iota
	timeFaster
	timeSlower
)

// speedSteps are the speeds + and - step through: from --speed's slowest
// (0.01) to its fastest (1,000,000), in steps of about 2 to 3x, so that any
// speed the flag allows is a few presses from any other.
var speedSteps = []float64{0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 3600,
	7200, 21600, 43200, 86400, 250_000, 500_000, 1_000_000}

// timeCmd changes the clock off the event loop; the next frame shows it.
func (m Model) timeCmd(c timeChange) tea.Cmd {
	tc, ok := m.opts.Clock.(TimeControl)
	if !ok {
		return nil
	}
	return func() tea.Msg {
		switch c {
		case timePause:
			if tc.Paused() {
				tc.Resume()
				return actionDoneMsg{what: "time resumed"}
			}
			tc.Pause()
			return actionDoneMsg{what: "time paused"}
		case timeFaster:
			return setSpeed(tc, 1)
		default:
			return setSpeed(tc, -1)
		}
	}
}

// setSpeed moves the clock one speed step in dir, or says it is already at
// the end of the steps.
func setSpeed(tc TimeControl, dir int) tea.Msg {
	cur := tc.Speed()
	s := nextSpeed(cur, dir)
	if s == cur {
		end := "fastest"
		if dir < 0 {
			end = "slowest"
		}
		return actionDoneMsg{what: "already at the " + end + " speed (" + speedLabel(cur) + ")"}
	}
	tc.SetSpeed(s)
	return actionDoneMsg{what: "speed " + speedLabel(s)}
}

// nextSpeed is the next step up (dir > 0) or down from the current speed,
// or the current speed when no step lies beyond it (a --speed above the
// fastest step or below the slowest is left alone, never reversed).
func nextSpeed(cur float64, dir int) float64 {
	if dir > 0 {
		for _, s := range speedSteps {
			if s > cur {
				return s
			}
		}
		return cur
	}
	for i := len(speedSteps) - 1; i >= 0; i-- {
		if speedSteps[i] < cur {
			return speedSteps[i]
		}
	}
	return cur
}
