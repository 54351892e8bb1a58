package ui

import tea "charm.land/bubbletea/v2"

// timeChange is a p, + or - key.
type timeChange int

const (
	timePause timeChange = iota
	timeFaster
	timeSlower
)

// speedSteps are the speeds + and - step through.
var speedSteps = []float64{0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 3600}

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
			s := nextSpeed(tc.Speed(), 1)
			tc.SetSpeed(s)
			return actionDoneMsg{what: "speed " + speedLabel(s)}
		default:
			s := nextSpeed(tc.Speed(), -1)
			tc.SetSpeed(s)
			return actionDoneMsg{what: "speed " + speedLabel(s)}
		}
	}
}

// nextSpeed is the next step up (dir > 0) or down from the current speed.
func nextSpeed(cur float64, dir int) float64 {
	if dir > 0 {
		for _, s := range speedSteps {
			if s > cur {
				return s
			}
		}
		return speedSteps[len(speedSteps)-1]
	}
	for i := len(speedSteps) - 1; i >= 0; i-- {
		if speedSteps[i] < cur {
			return speedSteps[i]
		}
	}
	return speedSteps[0]
}
