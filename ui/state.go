package ui

import (
	"fmt"
	"time"

	"charm.land/lipgloss/v2"
)

// state is what the table says a session is doing. It is derived from the
// session snapshot, and always rendered as text so that colour is never the
// only signal.
type state int

const (
	stateStarting state = iota // no token yet (a refresher not yet called, or its first call in flight)
	stateValid
	stateInWindow
	stateRefreshing
	stateRetrying
	stateExpired
	stateAborted
	stateFailed
	stateDisposed
	stateSignedOut
	stateAttention // the issuer failed permanently: asked only once a minute, or on r
	// stateValidFailed is a failed credential whose token is still valid:
	// callers are served until it expires, but its refresh failed.
	stateValidFailed
	stateCount // the number of states
)

var stateNames = [...]string{
	stateStarting:    "no token",
	stateValid:       "valid",
	stateInWindow:    "in window",
	stateRefreshing:  "refreshing",
	stateRetrying:    "retrying",
	stateExpired:     "expired",
	stateAborted:     "aborted",
	stateFailed:      "failed",
	stateDisposed:    "disposed",
	stateSignedOut:   "signed out",
	stateAttention:   "needs attention",
	stateValidFailed: "valid, refresh failed",
}

func (s state) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "unknown"
	}
	return stateNames[s]
}

// needsLook reports whether a session in the state is failing or needs the
// user's attention: what e jumps to.
func (s state) needsLook() bool {
	switch s {
	case stateRetrying, stateExpired, stateAborted, stateFailed, stateAttention, stateValidFailed:
		return true
	}
	return false
}

// ended reports whether the session can no longer change.
func (s state) ended() bool { return s == stateDisposed || s == stateSignedOut }

// style picks the state's colour.
func (s state) style(st StateStyles) lipgloss.Style {
	switch s {
	case stateValid:
		return st.Valid
	case stateInWindow:
		return st.InWindow
	case stateRefreshing, stateStarting:
		return st.Refreshing
	case stateRetrying:
		return st.Retrying
	case stateExpired:
		return st.Expired
	case stateAborted:
		return st.Aborted
	case stateFailed, stateAttention:
		return st.Failed
	case stateValidFailed:
		return st.Retrying
	default:
		return st.Ended
	}
}

// stateLabel is the STATE cell: the state plus what qualifies it (how many
// callers wait on a refresh, when the next retry is due), shortened to fit
// width where it can be.
func stateLabel(s state, waiters int, nextAt time.Time, width int) string {
	switch s {
	case stateRefreshing:
		if waiters > 0 {
			return fmt.Sprintf("refreshing (%d)", waiters)
		}
	case stateValidFailed:
		if width < len(s.String()) {
			return "valid, refr ✗" // ✗ as on the timeline: a failed attempt
		}
	case stateRetrying:
		if !nextAt.IsZero() {
			if width < len("retrying 15:04:05") {
				return "retry " + nextAt.Format("15:04:05")
			}
			return "retrying " + nextAt.Format("15:04:05")
		}
	}
	return s.String()
}
