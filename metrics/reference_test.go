package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"tokentop/session"
)

// refExporter is the collector as it was before it kept running aggregates
// (issue 26, item 6): each scrape reads every session and merges their
// counters. Tests compare the exporter's scrapes with its, byte for byte.
type refExporter struct {
	threshold int
	reg       *prometheus.Registry

	mu        sync.Mutex
	m         *session.Manager
	sessions  map[string]*counters
	untracked uint64
}

func newRef(threshold int) *refExporter {
	e := &refExporter{threshold: threshold, sessions: map[string]*counters{}, reg: prometheus.NewRegistry()}
	if e.threshold <= 0 {
		e.threshold = DefaultGroupThreshold
	}
	e.reg.MustRegister(e)
	return e
}

func (e *refExporter) Attach(m *session.Manager) {
	e.mu.Lock()
	e.m = m
	e.mu.Unlock()
}

func (e *refExporter) Observe(ev session.Event) {
	outcome, reason, ok := classify(ev)
	if !ok {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.sessions[ev.Session]
	if c == nil {
		if len(e.sessions) >= maxTracked {
			e.untracked++
			return
		}
		c = &counters{refreshes: map[refreshKey]uint64{}}
		e.sessions[ev.Session] = c
	}
	c.refreshes[refreshKey{reason, outcome}]++
	if ev.Latency > 0 && outcome != outcomeAbort {
		c.latency.observe(ev.Latency.Seconds())
	}
}

func (e *refExporter) Describe(ch chan<- *prometheus.Desc) { (*Exporter)(nil).Describe(ch) }

func (e *refExporter) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	m := e.m
	e.mu.Unlock()
	var states []refState
	if m != nil {
		for _, s := range m.Sessions() {
			states = append(states, refRead(s))
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	grouped := len(states) > e.threshold
	ch <- prometheus.MustNewConstMetric(descSessions, prometheus.GaugeValue, float64(len(states)))
	ch <- prometheus.MustNewConstMetric(descGrouped, prometheus.GaugeValue, b2f(grouped))
	ch <- prometheus.MustNewConstMetric(descUntracked, prometheus.CounterValue, float64(e.untracked))
	if grouped {
		e.collectGroups(ch, states)
		return
	}
	for _, st := range states {
		l := labelPairs(descTokenLeft, st.name, st.identity, st.policy)
		ch <- gauge(descTokenLeft, l, st.left.Seconds())
		ch <- gauge(descTokenValid, l, b2f(st.valid))
		ch <- gauge(descDisposed, l, b2f(st.disposed))
		ch <- gauge(descGap, l, st.gap.Seconds())
		ch <- gauge(descWaiters, l, float64(st.waiters))
		ch <- counter(descRefused, l, float64(st.refused))
		c := e.sessions[st.name]
		if c == nil {
			c = &counters{}
		}
		refSendRefreshes(ch, descRefreshes, l, st.keys, c.refreshes)
		ch <- latency(descLatency, l, c.latency)
	}
}

func refSendRefreshes(ch chan<- prometheus.Metric, d *prometheus.Desc, l []*dto.LabelPair, zero []refreshKey, counted map[refreshKey]uint64) {
	for _, k := range zero {
		if _, ok := counted[k]; !ok {
			ch <- counter(d, k.labelPairs(l), 0)
		}
	}
	for k, n := range counted {
		ch <- counter(d, k.labelPairs(l), float64(n))
	}
}

type refGroup struct {
	sessions, invalid int
	leftMin           float64
	anyLive           bool
	gapSum, gapMax    float64
	waitSum, waitMax  int
	refused           uint64
	refreshes         map[refreshKey]uint64
	latency           histogram
}

func (e *refExporter) collectGroups(ch chan<- prometheus.Metric, states []refState) {
	groups := map[string]*refGroup{}
	for _, st := range states {
		name := groupOf(st.name)
		g := groups[name]
		if g == nil && len(groups) >= maxGroups {
			name, g = otherGroup, groups[otherGroup]
		}
		if g == nil {
			g = &refGroup{refreshes: map[refreshKey]uint64{}}
			groups[name] = g
		}
		g.sessions++
		if !st.disposed {
			if !st.valid {
				g.invalid++
			}
			if left := st.left.Seconds(); !g.anyLive || left < g.leftMin {
				g.leftMin = left
			}
			g.anyLive = true
		}
		gap := st.gap.Seconds()
		g.gapSum += gap
		g.gapMax = max(g.gapMax, gap)
		g.waitSum += st.waiters
		g.waitMax = max(g.waitMax, st.waiters)
		g.refused += st.refused
		for _, k := range st.keys {
			g.refreshes[k] += 0
		}
		if c := e.sessions[st.name]; c != nil {
			for k, n := range c.refreshes {
				g.refreshes[k] += n
			}
			g.latency.add(&c.latency)
		}
	}
	for name, g := range groups {
		l := labelPairs(descGroupCount, name)
		ch <- gauge(descGroupCount, l, float64(g.sessions))
		ch <- gauge(descGroupInvalid, l, float64(g.invalid))
		ch <- gauge(descGroupLeftMin, l, g.leftMin)
		ch <- gauge(descGroupGapSum, l, g.gapSum)
		ch <- gauge(descGroupGapMax, l, g.gapMax)
		ch <- gauge(descGroupWaitersSum, l, float64(g.waitSum))
		ch <- gauge(descGroupWaitersMax, l, float64(g.waitMax))
		ch <- counter(descGroupRefused, l, float64(g.refused))
		refSendRefreshes(ch, descGroupRefreshes, l, nil, g.refreshes)
		ch <- latency(descGroupLatency, l, g.latency)
	}
}

type refState struct {
	name, identity, policy string
	keys                   []refreshKey
	disposed, valid        bool
	left, gap              time.Duration
	waiters                int
	refused                uint64
}

func refRead(s *session.Session) refState {
	snap := s.Snapshot()
	st := refState{name: snap.Spec.Name, identity: snap.Spec.Identity, policy: snap.Spec.PolicyLabel(), keys: refreshKeys(snap.Spec),
		disposed: snap.Disposed, gap: snap.Stats.TokenGap, waiters: snap.Credential.Waiters, refused: snap.Stats.ResourceRefused}
	if snap.Token != "" && !snap.Disposed && snap.At.Before(snap.ExpiresOn) {
		st.valid, st.left = true, snap.ExpiresOn.Sub(snap.At)
	}
	return st
}
