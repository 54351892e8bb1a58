package clock

import (
	"container/heap"
	"runtime"
	"sync"
	"time"
)

// Process is real time as this process lives it: it advances in steps
// of about a millisecond taken by its own goroutine, and never by more than
// MaxProcessStep in one step, so time during which the process could not run
// (the machine busy with other work) is not counted. Under a clock.Scaled it
// makes a time warp degrade gracefully: at 3600x a 100 ms stall of a busy
// machine would otherwise be six virtual minutes in which no credential could
// refresh; on a Process it slows virtual time down instead.
//
//	c := NewScaledOn(NewProcess(), 3600)
//
// Timers fire in their own goroutines, at most one step late. Close stops
// the clock; timers still pending then never fire.
type Process struct {
	mu     sync.Mutex
	now    time.Time
	timers processTimers
	seq    uint64
	closed bool

	last time.Time // real time of the last step; the driver's own

	stop chan struct{}
	done chan struct{}
}

// Step sizes of a Process.
const (
	ProcessStep    = time.Millisecond     // how often the clock steps
	MaxProcessStep = 2 * time.Millisecond // the most one step counts, however late it is
)

// NewProcess returns a running Process that starts at the real now.
func NewProcess() *Process {
	c := newProcess(time.Now())
	go c.drive()
	return c
}

func newProcess(now time.Time) *Process {
	return &Process{now: now, last: now, stop: make(chan struct{}), done: make(chan struct{})}
}

var _ Clock = (*Process)(nil)

// Now returns the clock's time.
func (c *Process) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Since returns the clock's time elapsed since t.
func (c *Process) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// AfterFunc calls f in its own goroutine once d has elapsed on this clock.
func (c *Process) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &processTimer{c: c, f: f, deadline: c.now.Add(max(d, 0)), seq: c.seq, index: -1}
	if !c.closed {
		heap.Push(&c.timers, t)
	}
	return t
}

// Close stops the clock and waits for its goroutine. Idempotent.
func (c *Process) Close() error {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	for _, t := range c.timers {
		t.index = -1
	}
	c.timers = nil
	c.mu.Unlock()
	if !already {
		close(c.stop)
	}
	<-c.done
	return nil
}

func (c *Process) drive() {
	defer close(c.done)
	ticker := time.NewTicker(ProcessStep)
	defer ticker.Stop()
	c.last = time.Now()
	for {
		select {
		case <-c.stop:
			return
		case <-ticker.C:
		}
		// Let the goroutines that are ready to run have their turn first: a
		// backlog of work in this process then slows the clock down too.
		runtime.Gosched()
		c.step(time.Now())
	}
}

// step counts the real time since the last step, at most MaxProcessStep.
func (c *Process) step(realNow time.Time) {
	c.advance(min(realNow.Sub(c.last), MaxProcessStep))
	c.last = realNow
}

// advance moves the clock on by d and fires the timers that fall due.
func (c *Process) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for len(c.timers) > 0 && !c.timers[0].deadline.After(c.now) {
		due = append(due, heap.Pop(&c.timers).(*processTimer).f)
	}
	c.mu.Unlock()
	for _, f := range due {
		go f()
	}
}

type processTimer struct {
	c        *Process
	f        func()
	deadline time.Time
	seq      uint64
	index    int // in the heap; -1 once fired or stopped
}

// Stop cancels the timer; it reports whether the timer was still pending.
func (t *processTimer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&c.timers, t.index)
	return true
}

// processTimers is a heap of timers by deadline, then by creation.
type processTimers []*processTimer

func (h processTimers) Len() int { return len(h) }
func (h processTimers) Less(i, j int) bool {
	if h[i].deadline.Equal(h[j].deadline) {
		return h[i].seq < h[j].seq
	}
	return h[i].deadline.Before(h[j].deadline)
}
func (h processTimers) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *processTimers) Push(x any) {
	t := x.(*processTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *processTimers) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}

// Steady reports true: a Process clock counts its own steps.
func (c *Process) Steady() bool { return true }
