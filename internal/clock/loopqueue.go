package clock

import "math/bits"

// loopQueue holds a Loop's pending timers in order of deadline, then of
// arming. A simulation of many sessions keeps hundreds of thousands of
// timers armed minutes ahead and pops tens of millions, and one heap of
// them all costs a cache miss per level per pop. So the queue is a timing
// wheel with exact order:
//
//   - near: a heap of the timers due in the current slice of time (cur) or
//     before; the earliest timer is on top.
//   - wheel: loopWheelSize unsorted buckets, one per slice of time after
//     cur (2^loopSliceShift ns each); arming appends to one.
//   - far: a heap of the timers due beyond the wheel.
//
// Everything in near is due before everything in the wheel, which is due
// before everything in far. When near runs out, the next non-empty bucket
// becomes cur and is heaped into near (it is small: one slice of time's
// timers), and the timers of far that the wheel now reaches move into it.
// A timer does not track its place: stopping it leaves its entry behind,
// dead (its arming no longer matches), to be dropped when it surfaces or
// when the dead outnumber the live.
type loopQueue struct {
	near  loopHeap
	wheel [loopWheelSize][]loopEntry
	full  [loopWheelSize / 64]uint64 // a bit per non-empty bucket
	far   loopHeap
	cur   int64 // the slice near holds; the wheel holds cur+1 .. cur+loopWheelSize
	n     int   // entries held, dead included
	dead  int   // entries of stopped or re-armed timers
}

const (
	loopSliceShift = 30 // a slice of time is 2^30 ns, about a second
	loopWheelSize  = 4096
)

// loopEntry is one arming of a timer.
type loopEntry struct {
	at  int64  // virtual deadline
	seq uint64 // arming order, for equal deadlines; unique, never 0
	t   *loopTimer
}

func (a *loopEntry) before(b *loopEntry) bool {
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

// live reports whether e is its timer's pending arming.
func (e *loopEntry) live() bool { return e.t.seq == e.seq }

func slice(at int64) int64 { return at >> loopSliceShift }

// loopShrinkCap is the capacity above which a heap that has emptied to a
// quarter, or a bucket that has been emptied, is given back rather than
// kept for reuse.
const loopShrinkCap = 1024

// len returns how many timers are pending.
func (q *loopQueue) len() int { return q.n - q.dead }

// push queues t, not pending, to run at at; seq (never 0, and rising)
// orders equal deadlines.
func (q *loopQueue) push(t *loopTimer, at int64, seq uint64) {
	t.seq = seq
	q.n++
	q.place(loopEntry{at: at, seq: seq, t: t})
}

// place puts e where its deadline belongs.
func (q *loopQueue) place(e loopEntry) {
	switch s := slice(e.at); {
	case s <= q.cur:
		q.near.push(e)
	case s-q.cur <= loopWheelSize:
		i := int(s % loopWheelSize)
		q.wheel[i] = append(q.wheel[i], e)
		q.full[i/64] |= 1 << (i % 64)
	default:
		q.far.push(e)
	}
}

// cancel takes pending t out of the queue; its entry dies in place.
func (q *loopQueue) cancel(t *loopTimer) {
	t.seq = 0
	q.dead++
	if q.dead > 64 && 2*q.dead > q.n {
		q.compact()
	}
}

// head returns the earliest pending deadline.
func (q *loopQueue) head() (at int64, ok bool) {
	for {
		for len(q.near) > 0 {
			if q.near[0].live() {
				return q.near[0].at, true
			}
			q.near.pop()
			q.n--
			q.dead--
		}
		if !q.advance() {
			return 0, false
		}
	}
}

// pop takes the earliest pending timer out of the queue; head must have
// reported one. The timer is no longer pending.
func (q *loopQueue) pop() (*loopTimer, int64) {
	e := q.near.pop()
	q.n--
	e.t.seq = 0
	return e.t, e.at
}

// advance moves cur to the next slice that holds a timer and heaps that
// slice's timers into near; it reports false if the queue is empty.
func (q *loopQueue) advance() bool {
	next, ok := q.nextBucket()
	switch {
	case ok:
	case len(q.far) > 0:
		next = slice(q.far[0].at)
	default:
		return false
	}
	q.cur = next
	i := int(next % loopWheelSize)
	if b := q.wheel[i]; len(b) > 0 {
		q.near = append(q.near, b...)
		clear(b)
		q.wheel[i] = b[:0]
		if cap(b) > loopShrinkCap {
			q.wheel[i] = nil
		}
		q.full[i/64] &^= 1 << (i % 64)
		q.near.heapify()
	}
	for len(q.far) > 0 && slice(q.far[0].at)-q.cur <= loopWheelSize { // now within the wheel's reach
		q.place(q.far.pop())
	}
	q.near.shrink()
	return true
}

// nextBucket returns the first slice after cur whose bucket holds entries.
func (q *loopQueue) nextBucket() (int64, bool) {
	const words = loopWheelSize / 64
	from := int((q.cur + 1) % loopWheelSize)
	for k := 0; k <= words; k++ { // from's word, the others, then from's word again
		wi := (from/64 + k) % words
		w := q.full[wi]
		switch k {
		case 0:
			w &= ^uint64(0) << (from % 64) // from on
		case words:
			w &= 1<<(from%64) - 1 // wrapped round: before from
		}
		if w != 0 {
			j := wi*64 + bits.TrailingZeros64(w)
			return q.cur + 1 + int64((j-from+loopWheelSize)%loopWheelSize), true
		}
	}
	return 0, false
}

// compact drops every dead entry.
func (q *loopQueue) compact() {
	q.near = q.near.live()
	q.far = q.far.live()
	for i := range q.wheel {
		b := q.wheel[i]
		if len(b) == 0 {
			continue
		}
		kept := b[:0]
		for _, e := range b {
			if e.live() {
				kept = append(kept, e)
			}
		}
		clear(b[len(kept):])
		q.wheel[i] = kept
		if len(kept) == 0 {
			q.full[i/64] &^= 1 << (i % 64)
		}
	}
	q.n -= q.dead
	q.dead = 0
}

// capacity returns the entries the queue has room for without growing.
func (q *loopQueue) capacity() int {
	c := cap(q.near) + cap(q.far)
	for _, b := range q.wheel {
		c += cap(b)
	}
	return c
}

// loopHeap is a 4-ary min-heap of entries. It is written out rather than
// using container/heap to keep interface calls and half the levels off a
// path that runs millions of times.
type loopHeap []loopEntry

const loopArity = 4

func (h loopHeap) up(j int) {
	e := h[j]
	for j > 0 {
		p := (j - 1) / loopArity
		if !e.before(&h[p]) {
			break
		}
		h[j] = h[p]
		j = p
	}
	h[j] = e
}

func (h loopHeap) down(i int) {
	e := h[i]
	for {
		c := loopArity*i + 1
		if c >= len(h) || c < 0 {
			break
		}
		m := c
		for k := c + 1; k < min(c+loopArity, len(h)); k++ {
			if h[k].before(&h[m]) {
				m = k
			}
		}
		if !h[m].before(&e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = e
}

// heapify restores the heap order of any arrangement, in linear time.
func (h loopHeap) heapify() {
	if len(h) < 2 {
		return
	}
	for i := (len(h) - 2) / loopArity; i >= 0; i-- { // from the last parent up
		h.down(i)
	}
}

func (h *loopHeap) push(e loopEntry) {
	*h = append(*h, e)
	h.up(len(*h) - 1)
}

func (h *loopHeap) pop() loopEntry {
	s := *h
	e, n := s[0], len(s)-1
	s[0] = s[n]
	s[n] = loopEntry{}
	*h = s[:n]
	if n > 0 {
		h.down(0)
	}
	h.shrink()
	return e
}

// live returns the heap without its dead entries.
func (h loopHeap) live() loopHeap {
	kept := h[:0]
	for _, e := range h {
		if e.live() {
			kept = append(kept, e)
		}
	}
	clear(h[len(kept):])
	kept.heapify()
	kept.shrink()
	return kept
}

// shrink gives back a burst's memory once the heap has emptied to a quarter.
func (h *loopHeap) shrink() {
	if s := *h; cap(s) > loopShrinkCap && len(s) < cap(s)/4 {
		*h = append(make(loopHeap, 0, 2*len(s)), s...)
	}
}
