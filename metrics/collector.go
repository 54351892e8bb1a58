package metrics

import (
	"cmp"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

var sessionLabels = []string{"session", "identity", "policy"}

// Per-session series (at most GroupThreshold sessions).
var (
	descTokenLeft = prometheus.NewDesc("tokentop_session_token_seconds_left",
		"Seconds until the session's token expires, on the run's clock; 0 without a valid token.", sessionLabels, nil)
	descTokenValid = prometheus.NewDesc("tokentop_session_token_valid",
		"1 if the session holds a valid token, else 0 (a disposed or signed-out session holds none on purpose: see tokentop_session_disposed).", sessionLabels, nil)
	descDisposed = prometheus.NewDesc("tokentop_session_disposed",
		"1 if the session was disposed or signed out.", sessionLabels, nil)
	descGap = prometheus.NewDesc("tokentop_session_token_gap_seconds",
		"Time the session has spent without a valid token while live (the summary's token_gap_seconds).", sessionLabels, nil)
	descWaiters = prometheus.NewDesc("tokentop_session_waiters",
		"Callers waiting on the session's refreshes in flight.", sessionLabels, nil)
	descRefused = prometheus.NewDesc("tokentop_session_resource_refusals_total",
		"Resource checks that refused the session's token.", sessionLabels, nil)
	descRefreshes = prometheus.NewDesc("tokentop_refreshes_total",
		"Issuer calls for the session by reason and outcome (success, failure, abort); they add up to the summary's successes, failures and aborts.",
		append(sessionLabels[:3:3], "reason", "outcome"), nil)
	descLatency = prometheus.NewDesc("tokentop_issuer_call_duration_seconds",
		"Latency of the session's completed issuer calls, on the run's clock.", sessionLabels, nil)
)

// Per-group series (above GroupThreshold sessions).
var (
	groupLabels    = []string{"group"}
	descGroupCount = prometheus.NewDesc("tokentop_group_sessions",
		"Sessions in the group (a count group's name-1 ... name-N).", groupLabels, nil)
	descGroupInvalid = prometheus.NewDesc("tokentop_group_sessions_without_valid_token",
		"Live (not disposed) sessions of the group without a valid token.", groupLabels, nil)
	descGroupLeftMin = prometheus.NewDesc("tokentop_group_token_seconds_left_min",
		"Fewest seconds left on a live session's token in the group (0 if any has none).", groupLabels, nil)
	descGroupGapSum = prometheus.NewDesc("tokentop_group_token_gap_seconds_sum",
		"Sum over the group's sessions of tokentop_session_token_gap_seconds.", groupLabels, nil)
	descGroupGapMax = prometheus.NewDesc("tokentop_group_token_gap_seconds_max",
		"Largest token gap of a session in the group.", groupLabels, nil)
	descGroupWaitersSum = prometheus.NewDesc("tokentop_group_waiters_sum",
		"Callers waiting on the group's refreshes.", groupLabels, nil)
	descGroupWaitersMax = prometheus.NewDesc("tokentop_group_waiters_max",
		"Most callers waiting on one session of the group.", groupLabels, nil)
	descGroupRefused = prometheus.NewDesc("tokentop_group_resource_refusals_total",
		"Resource refusals summed over the group.", groupLabels, nil)
	descGroupRefreshes = prometheus.NewDesc("tokentop_group_refreshes_total",
		"tokentop_refreshes_total summed over the group.", []string{"group", "reason", "outcome"}, nil)
	descGroupLatency = prometheus.NewDesc("tokentop_group_issuer_call_duration_seconds",
		"tokentop_issuer_call_duration_seconds merged over the group.", groupLabels, nil)
)

// Always exported.
var (
	descSessions = prometheus.NewDesc("tokentop_sessions",
		"Sessions in the run.", nil, nil)
	descGrouped = prometheus.NewDesc("tokentop_sessions_grouped",
		"1 when there are more sessions than the threshold and they are exported per group (tokentop_group_*).", nil, nil)
	descUntracked = prometheus.NewDesc("tokentop_metrics_untracked_events_total",
		"Refresh events not counted because too many sessions were tracked already.", nil, nil)
)

// maxGroups bounds the groups exported; sessions of further groups are
// folded into group "other".
const maxGroups = 1000

// otherGroup gathers the sessions past maxGroups groups.
const otherGroup = "other"

// Describe sends every descriptor the exporter may collect.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTokenLeft, descTokenValid, descDisposed, descGap, descWaiters, descRefused,
		descRefreshes, descLatency, descGroupCount, descGroupInvalid, descGroupLeftMin, descGroupGapSum, descGroupGapMax,
		descGroupWaitersSum, descGroupWaitersMax, descGroupRefused, descGroupRefreshes, descGroupLatency,
		descSessions, descGrouped, descUntracked} {
		ch <- d
	}
}

// Collect reads the sessions now and sends their series: one set per
// session, or per group above the threshold.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	m := e.m
	e.mu.Unlock()
	var states []sessionState
	if m != nil {
		sessions := m.Sessions()
		states = make([]sessionState, 0, len(sessions))
		var shapes keyShapes
		for _, s := range sessions { // read outside e.mu: Observe never waits on a scrape
			states = append(states, readSession(s, &shapes))
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
		sendRefreshes(ch, descRefreshes, l, st.keys.keys(), c.refreshes)
		ch <- latency(descLatency, l, c.latency)
	}
}

// sendRefreshes sends a session's (group's) refresh counters: each of
// zero, at 0 when nothing counted it yet, and every key counted.
func sendRefreshes(ch chan<- prometheus.Metric, d *prometheus.Desc, l []*dto.LabelPair, zero []refreshKey, counted map[refreshKey]uint64) {
	for _, k := range zero {
		if _, ok := counted[k]; !ok {
			ch <- counter(d, k.labelPairs(l), 0)
		}
	}
	for k, n := range counted {
		ch <- counter(d, k.labelPairs(l), float64(n))
	}
}

// group is one group's aggregates.
type group struct {
	sessions, invalid int
	leftMin           float64
	anyLive           bool
	gapSum, gapMax    float64
	waitSum, waitMax  int
	refused           uint64
	shapes            uint32 // bit i: a session of keyShape i, whose keys are exported at 0 until counted
	refreshes         map[refreshKey]uint64
	latency           histogram
}

func (e *Exporter) collectGroups(ch chan<- prometheus.Metric, states []sessionState) {
	groups := map[string]*group{}
	for _, st := range states {
		name := groupOf(st.name)
		g := groups[name]
		if g == nil && len(groups) >= maxGroups {
			name, g = otherGroup, groups[otherGroup]
		}
		if g == nil {
			g = &group{refreshes: map[refreshKey]uint64{}}
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
		g.shapes |= 1 << st.keys
		if c := e.sessions[st.name]; c != nil {
			for k, n := range c.refreshes {
				g.refreshes[k] += n
			}
			g.latency.add(&c.latency)
		}
	}
	for name, g := range groups {
		for shape := range keyShape(numShapes) {
			if g.shapes&(1<<shape) != 0 {
				for _, k := range shape.keys() {
					g.refreshes[k] += 0 // exported at 0 until counted
				}
			}
		}
		l := labelPairs(descGroupCount, name)
		ch <- gauge(descGroupCount, l, float64(g.sessions))
		ch <- gauge(descGroupInvalid, l, float64(g.invalid))
		ch <- gauge(descGroupLeftMin, l, g.leftMin)
		ch <- gauge(descGroupGapSum, l, g.gapSum)
		ch <- gauge(descGroupGapMax, l, g.gapMax)
		ch <- gauge(descGroupWaitersSum, l, float64(g.waitSum))
		ch <- gauge(descGroupWaitersMax, l, float64(g.waitMax))
		ch <- counter(descGroupRefused, l, float64(g.refused))
		sendRefreshes(ch, descGroupRefreshes, l, nil, g.refreshes)
		ch <- latency(descGroupLatency, l, g.latency)
	}
}

// series is one sample of a session or group whose label pairs are shared
// with the session's (group's) other series: a scrape holds one copy of a
// session's labels rather than one a series, as prometheus.MustNewConstMetric
// would make, so that its memory grows with the sessions, not with their
// series.
type series struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair // sorted by name, as the registry wants them
	value  float64
	kind   prometheus.ValueType // gauge or counter, when hist is nil
	hist   *histogram           // a copy: Write runs after Collect has let the exporter's lock go
}

func gauge(d *prometheus.Desc, l []*dto.LabelPair, v float64) series {
	return series{desc: d, labels: l, value: v, kind: prometheus.GaugeValue}
}

func counter(d *prometheus.Desc, l []*dto.LabelPair, v float64) series {
	return series{desc: d, labels: l, value: v, kind: prometheus.CounterValue}
}

func latency(d *prometheus.Desc, l []*dto.LabelPair, h histogram) series {
	return series{desc: d, labels: l, hist: &h}
}

// Desc is the series' descriptor.
func (s series) Desc() *prometheus.Desc { return s.desc }

// Write fills out with the series' labels and value.
func (s series) Write(out *dto.Metric) error {
	out.Label = s.labels
	switch {
	case s.hist != nil:
		out.Histogram = s.hist.proto()
	case s.kind == prometheus.CounterValue:
		out.Counter = &dto.Counter{Value: new(s.value)}
	default:
		out.Gauge = &dto.Gauge{Value: new(s.value)}
	}
	return nil
}

// labelPairs makes d's label pairs of values, sorted by name. A value that
// is not UTF-8 has its bad bytes replaced: one such name must not make the
// whole scrape fail.
func labelPairs(d *prometheus.Desc, values ...string) []*dto.LabelPair {
	for i, v := range values {
		values[i] = strings.ToValidUTF8(v, "\uFFFD")
	}
	return prometheus.MakeLabelPairs(d, values)
}

// labelPairs adds the reason and outcome labels to a session's (group's)
// pairs, sharing those.
func (k refreshKey) labelPairs(l []*dto.LabelPair) []*dto.LabelPair {
	pairs, ok := keyPairs[k]
	if !ok {
		pairs = k.pairs()
	}
	out := append(make([]*dto.LabelPair, 0, len(l)+2), l...)
	out = append(out, pairs[0], pairs[1])
	slices.SortFunc(out, func(a, b *dto.LabelPair) int { return cmp.Compare(a.GetName(), b.GetName()) })
	return out
}

// pairs makes the key's reason and outcome label pairs.
func (k refreshKey) pairs() [2]*dto.LabelPair {
	return [2]*dto.LabelPair{{Name: new("reason"), Value: new(strings.ToValidUTF8(k.reason, "\uFFFD"))},
		{Name: new("outcome"), Value: new(k.outcome)}}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
