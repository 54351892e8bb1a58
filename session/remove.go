package session

import (
	"errors"
	"fmt"
	"slices"
)

// ErrNotDisposed is wrapped by Remove when the session is still live.
var ErrNotDisposed = errors.New("the session is not disposed")

// Remove takes a disposed (or signed-out) session out of the manager: it is
// no longer listed, its name is free for a new session, and its counters
// leave the totals. Its simulated callers stop (a disposed session with
// resource checks keeps them running until then). A live session is refused:
// dispose it first, so that removing never cuts a refresh or a caller short.
func (m *Manager) Remove(name string) error {
	s, err := m.lookup(name)
	if err != nil {
		return err
	}
	if !s.isDisposed() { // read outside m.mu: the session's lock is never taken under the manager's
		return fmt.Errorf("remove session %q: %w; dispose it first", name, ErrNotDisposed)
	}
	m.mu.Lock()
	if m.sessions[name] == s { // not removed meanwhile by another call
		delete(m.sessions, name)
		if i := slices.Index(m.order, s); i >= 0 {
			m.order = slices.Delete(m.order, i, i+1)
		}
	}
	m.mu.Unlock()
	s.stopCallers()
	return nil
}

// isDisposed reports whether the session was disposed or signed out.
func (s *Session) isDisposed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.disposed
}
