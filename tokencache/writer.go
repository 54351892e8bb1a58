package tokencache

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultFlushTimeout is how long Writer.Close waits for the last changes to
// be written: an interrupted run does not hang on a slow or locked file.
const DefaultFlushTimeout = 2 * time.Second

// writeInterval is the least time between two writes: tokens saved
// meanwhile wait and are written together, so a run saving thousands of
// tokens a second rewrites the file twice a second, not back to back.
const writeInterval = 500 * time.Millisecond

// ErrFlushTimeout is wrapped by Writer.Close's error when the last changes
// were not written in time.
var ErrFlushTimeout = errors.New("the token cache was not written in time")

// Batcher is a Store that applies a batch of changes in one write.
type Batcher interface {
	Store
	Apply(Change) error
}

// Writer takes a store's writes off the caller's goroutine: Save, Evict and
// Clear queue the change and return at once, and one goroutine applies what
// is queued in one write (Batcher.Apply), at most one write per
// writeInterval, so a run that saves a thousand tokens rewrites the file a
// few times rather than a thousand. The queue
// coalesces by key (the newest token wins) and holds at most maxEntries
// tokens. Load sees what is queued. Close writes what is left, waiting at
// most the flush timeout. It is safe for concurrent use.
type Writer struct {
	store   Batcher
	timeout time.Duration
	now     func() time.Time

	mu      sync.Mutex
	queue   batch // changes not yet taken by the goroutine
	busy    batch // changes being written
	failed  error // the newest failed write, not yet reported
	lost    int   // tokens in failed writes, not yet reported
	closed  bool
	wake    chan struct{} // capacity 1: something is queued
	stop    chan struct{} // closed by Close
	done    chan struct{} // closed when the goroutine ends
	written chan struct{} // closed when the goroutine has written the current queue
}

// batch is queued changes: the newest save per key, and the principals to
// evict. Every save postdates the evictions and clear of its own batch,
// because those drop the saves queued before them.
type batch struct {
	clear bool
	evict []Principal
	saves map[string]Saved // by Key.id
	order []string         // ids in the order first saved, for a stable write
}

func (b *batch) empty() bool { return !b.clear && len(b.evict) == 0 && len(b.saves) == 0 }

// evicts reports whether b clears or evicts the principal of k.
func (b *batch) evicts(k Key) bool {
	return b.clear || slices.Contains(b.evict, Principal{Issuer: k.Issuer, Identity: k.Identity})
}

func (b *batch) change() Change {
	c := Change{Clear: b.clear, Evict: b.evict}
	for _, id := range b.order {
		if s, ok := b.saves[id]; ok {
			c.Save = append(c.Save, s)
		}
	}
	return c
}

// NewWriter starts the goroutine that writes store's changes; Close ends
// it. flushTimeout bounds Close's wait (0 means DefaultFlushTimeout).
func NewWriter(store Batcher, flushTimeout time.Duration) *Writer {
	if flushTimeout <= 0 {
		flushTimeout = DefaultFlushTimeout
	}
	w := &Writer{
		store: store, timeout: flushTimeout, now: time.Now,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		written: make(chan struct{}),
	}
	go w.run()
	return w
}

// Load returns the entry for k: the queued one if any, else the store's.
// ok is false when it is absent or expired.
func (w *Writer) Load(k Key) (Entry, bool, error) {
	id := k.id()
	w.mu.Lock()
	for _, b := range []*batch{&w.queue, &w.busy} { // newest first
		if s, ok := b.saves[id]; ok {
			ok = s.Entry.ExpiresOn.After(w.now())
			w.mu.Unlock()
			if !ok {
				return Entry{}, false, nil
			}
			return s.Entry, true, nil
		}
		if b.evicts(k) {
			w.mu.Unlock()
			return Entry{}, false, nil
		}
	}
	w.mu.Unlock()
	return w.store.Load(k)
}

// Save queues e under k, replacing any token queued for k. It fails when
// the writer is closed or the queue is full, and reports (once) a write
// that failed since the last report; e is queued all the same.
func (w *Writer) Save(k Key, e Entry) error {
	id := k.id()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("token cache is closed")
	}
	if _, ok := w.queue.saves[id]; !ok && len(w.queue.saves) >= maxEntries {
		return fmt.Errorf("the token cache's write queue is full (%d tokens wait for %s); this token is not saved", maxEntries, w.store.Describe())
	}
	if w.queue.saves == nil {
		w.queue.saves = map[string]Saved{}
	}
	if _, ok := w.queue.saves[id]; !ok {
		w.queue.order = append(w.queue.order, id)
	}
	w.queue.saves[id] = Saved{Key: k, Entry: e}
	w.signal()
	return w.takeFailure()
}

// Evict queues the removal of every entry of identity at issuer, and drops
// the tokens of that principal queued before it.
func (w *Writer) Evict(issuer, identity string) error {
	p := Principal{Issuer: issuer, Identity: identity}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("token cache is closed")
	}
	for id, s := range w.queue.saves {
		if s.Key.Issuer == p.Issuer && s.Key.Identity == p.Identity {
			delete(w.queue.saves, id)
		}
	}
	if !slices.Contains(w.queue.evict, p) {
		w.queue.evict = append(w.queue.evict, p)
	}
	w.signal()
	return w.takeFailure()
}

// Clear removes every entry, queued or written, and waits (at most the
// flush timeout) until the store is cleared, to report its outcome.
func (w *Writer) Clear() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return errors.New("token cache is closed")
	}
	w.queue = batch{clear: true}
	written := w.written
	w.signal()
	w.mu.Unlock()
	timer := time.NewTimer(w.timeout)
	defer timer.Stop()
	select {
	case <-written:
	case <-timer.C:
		return fmt.Errorf("%w: clearing %s took longer than %v", ErrFlushTimeout, w.store.Describe(), w.timeout)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.takeFailure()
}

// SetClock makes Load judge expiry on now, and the store too when it can.
// Call it before the writer is shared.
func (w *Writer) SetClock(now func() time.Time) {
	if now == nil {
		return
	}
	w.now = now
	if c, ok := w.store.(interface{ SetClock(func() time.Time) }); ok {
		c.SetClock(now)
	}
}

// Describe says where the cache lives.
func (w *Writer) Describe() string { return w.store.Describe() }

var _ Store = (*Writer)(nil)

// Close writes what is queued and ends the goroutine, waiting at most the
// flush timeout; the store stays open (close it after). Past the timeout
// it returns an error wrapping ErrFlushTimeout that names the identities
// whose tokens were not saved; the goroutine then ends when the store's
// write in progress returns, and the store must not be closed before (its
// Close would wait for that write). A failed write not yet reported is
// reported here.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	timer := time.NewTimer(w.timeout)
	defer timer.Stop()
	select {
	case <-w.done:
	case <-timer.C:
		w.mu.Lock()
		defer w.mu.Unlock()
		keys := slices.Concat(w.busy.change().Save, w.queue.change().Save)
		return fmt.Errorf("%w: %s took longer than %v, so %d tokens were not saved%s", ErrFlushTimeout,
			w.store.Describe(), w.timeout, len(keys), identitiesOf(keys))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.takeFailure()
}

// identitiesOf lists the identities of saves, for a message: " (of a, b
// and 3 more)", or "" for none.
func identitiesOf(saves []Saved) string {
	var ids []string
	for _, s := range saves {
		if !slices.Contains(ids, s.Key.Identity) {
			ids = append(ids, s.Key.Identity)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	const shown = 5
	list := strings.Join(ids[:min(len(ids), shown)], ", ")
	if len(ids) > shown {
		list += fmt.Sprintf(" and %d more", len(ids)-shown)
	}
	return " (of " + list + ")"
}

// signal wakes the goroutine; w.mu is held.
func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// takeFailure returns the failed write not yet reported, and forgets it;
// w.mu is held.
func (w *Writer) takeFailure() error {
	if w.failed == nil {
		return nil
	}
	err := fmt.Errorf("writing the token cache %s failed: %w (%d tokens not saved)", w.store.Describe(), w.failed, w.lost)
	w.failed, w.lost = nil, 0
	return err
}

// run writes each queued batch in one Apply until Close, then writes what
// is left and ends.
func (w *Writer) run() {
	defer close(w.done)
	for {
		stopping := false
		select {
		case <-w.wake:
		case <-w.stop:
			stopping = true
		}
		w.mu.Lock()
		b, written := w.queue, w.written
		w.queue, w.busy, w.written = batch{}, b, make(chan struct{})
		w.mu.Unlock()
		var err error
		if !b.empty() {
			err = w.store.Apply(b.change())
		}
		w.mu.Lock()
		w.busy = batch{}
		if err != nil {
			w.failed = err
			w.lost += len(b.saves)
		}
		rest := !w.queue.empty()
		w.mu.Unlock()
		close(written)
		if stopping && !rest { // else go round again: stop stays closed
			return
		}
		if !b.empty() && !stopping {
			w.pause()
		}
	}
}

// pause waits writeInterval after a write, or until Close.
func (w *Writer) pause() {
	t := time.NewTimer(writeInterval)
	defer t.Stop()
	select {
	case <-t.C:
	case <-w.stop:
	}
}
