package session

// DefaultLogSize is how many events a session's log keeps.
const DefaultLogSize = 1000

// eventLog keeps the last size events; older ones are only counted. It
// grows as events arrive, so ten thousand quiet sessions cost little.
// It is not safe for concurrent use: the session's mutex guards it.
type eventLog struct {
	size    int
	buf     []Event
	start   int    // index of the oldest event once buf is full
	dropped uint64 // events pushed out of the log
}

// newEventLog keeps size events: DefaultLogSize for 0, none for a negative size.
func newEventLog(size int) eventLog {
	switch {
	case size == 0:
		size = DefaultLogSize
	case size < 0:
		size = 0
	}
	return eventLog{size: size}
}

func (l *eventLog) add(e Event) {
	if l.size == 0 {
		l.dropped++
		return
	}
	if len(l.buf) < l.size {
		l.buf = append(l.buf, e)
		return
	}
	l.buf[l.start] = e
	l.start = (l.start + 1) % l.size
	l.dropped++
}

// events returns a copy of the kept events, oldest first.
func (l *eventLog) events() []Event {
	out := make([]Event, 0, len(l.buf))
	out = append(out, l.buf[l.start:]...)
	return append(out, l.buf[:l.start]...)
}
