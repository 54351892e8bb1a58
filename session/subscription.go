package session

import "sync"

// Subscription delivers the manager's events to one reader. Publishing never
// blocks: when the buffer is full the oldest buffered event is dropped to make
// room, and the drop is counted, so a slow reader loses history rather than
// stalling a credential.
type Subscription struct {
	ch chan Event

	mu        sync.Mutex
	closed    bool
	offered   uint64
	dropped   uint64
	bySession map[string]uint64
	unsub     func(*Subscription)
}

func newSubscription(buffer int, unsub func(*Subscription)) *Subscription {
	if buffer < 1 {
		buffer = 1
	}
	return &Subscription{ch: make(chan Event, buffer), bySession: map[string]uint64{}, unsub: unsub}
}

// C returns the channel of events. It is closed by Close or by the manager's
// Close, after which no event is sent.
func (s *Subscription) C() <-chan Event { return s.ch }

// Dropped returns how many events this subscription lost because its reader
// was slower than the publishers.
func (s *Subscription) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Offered returns how many events were published to this subscription:
// those read, those still buffered and those dropped.
func (s *Subscription) Offered() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offered
}

// DroppedFor returns how many of one session's events this subscription lost.
func (s *Subscription) DroppedFor(session string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bySession[session]
}

// Close stops delivery and closes C. Events still buffered stay readable.
// It is idempotent.
func (s *Subscription) Close() {
	if s.unsub != nil {
		s.unsub(s)
	}
	s.shut()
}

func (s *Subscription) shut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// send delivers e without blocking, dropping the oldest buffered event if
// the buffer is full. The mutex makes the drop-then-send pair atomic with
// respect to other publishers; the reader may still take events meanwhile,
// which only makes room.
func (s *Subscription) send(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.offered++
	for {
		select {
		case s.ch <- e:
			return
		default:
		}
		select {
		case old := <-s.ch:
			s.dropped++
			s.bySession[old.Session]++
		default:
		}
	}
}
