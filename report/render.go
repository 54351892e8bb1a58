package report

import (
	"bufio"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"iter"
	"slices"
	"strings"
	"time"

	"tokentop/scenario"
	"tokentop/session"
)

// Layout of the page. The SVG is drawn with html/template rather than a
// chart library: the Go chart libraries either render through JavaScript
// (go-echarts loads echarts from a CDN) or draw static images without the
// per-attempt <title> tooltips the timeline needs.
const (
	// MaxLanes is how many sessions get a lane of their own; beyond it the
	// worst sessions do, and the rest are drawn as group lanes.
	MaxLanes = 50
	// maxGroupLanes is how many group lanes are drawn; the smallest groups
	// beyond it are folded into "other".
	maxGroupLanes = 12
	// maxSessionRows is how many sessions the per-session table lists
	// (the worst first when there are more).
	maxSessionRows = 500

	labelWidth = 170  // px left of the lanes for their names
	plotWidth  = 1000 // px of time
	laneHeight = 22
	laneGap    = 4
	axisHeight = 22
	column     = 2 // px: attempts closer than this are drawn as one mark
	groupBins  = plotWidth / 5
)

// Write renders the report of the recorded run with its summary sum as one
// HTML page to w.
func (r *Recorder) Write(w io.Writer, sum session.Summary) error {
	return execute(w, pageTemplate, r.page(sum), "the page")
}

// execute renders data with t to w through a buffer; what names the page
// in the error.
func execute(w io.Writer, t *template.Template, data any, what string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := t.Execute(bw, data); err != nil {
		return fmt.Errorf("report: writing %s: %w", what, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: writing %s: %w", what, err)
	}
	return nil
}

// page is what the template renders.
type page struct {
	Title, Scenario, Clock, Seed, Start, Duration string
	Sessions, Events                              int
	EventsDropped                                 uint64
	Notes                                         []string
	Verdict                                       []string
	Timeline                                      timeline
	Chart                                         chartView
	PolicyHead                                    []string
	Policies                                      []row
	SessionRows                                   []row
	SessionNote                                   string
	Histogram                                     histogramView
	LatencyNote                                   string
	Legend                                        []legendItem
}

// row is one line of a comparison table; Cells hold a display text and a
// sort key each.
type row struct {
	Cells []cell
}

type cell struct {
	Text string
	Key  string // sort key: a number, or the text
	Num  bool
}

type legendItem struct{ Color, Label string }

// timeline is the SVG of lanes.
type timeline struct {
	Width, Height, PlotX, PlotW, LanesTop int
	Ticks                                 []axisTick
	Faults                                []bandView
	Lanes                                 []laneView
}

type axisTick struct {
	X     int
	Label string
}

type bandView struct {
	X, Y, W, H  float64
	Color       string
	Opacity     float64
	Title       string
	TitleNeeded bool
}

type laneView struct {
	Y, TextY     int
	Label, Title string
	Group        bool
	Rects        []bandView
}

// stats are one session's figures for ranking and the tables: its summary
// (shared with the Summary, not copied: a run may have 100,000 sessions)
// and what was recorded of it.
type stats struct {
	*session.SessionSummary
	// Policy is the summary's label, else the recorded one, else "unknown".
	Policy string
	rec    *sessionRec
}

func (r *Recorder) page(sum session.Summary) page {
	end := r.last
	if sum.VirtualSeconds > 0 {
		end = max(end, int64(sum.VirtualSeconds*float64(time.Second)))
	}
	end = max(end, int64(time.Second))
	p := page{
		Title:         "tokentop report: " + cmp.Or(sum.Scenario, "run"),
		Scenario:      cmp.Or(sum.Scenario, "(unnamed)"),
		Clock:         cmp.Or(sum.Clock, "unknown"),
		Seed:          "-",
		Start:         r.base.UTC().Format("2006-01-02 15:04:05 MST"),
		Duration:      time.Duration(end).Round(time.Millisecond).String(),
		Events:        int(min(r.events, 1<<31)),
		EventsDropped: sum.EventsDropped,
	}
	if sum.Seed != nil {
		p.Seed = fmt.Sprint(*sum.Seed)
	}
	if sum.Interrupted {
		p.Notes = append(p.Notes, "The run was interrupted before the end of its duration.")
	}
	if sum.EventsDropped > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("%d events were dropped before the report saw them; the lanes miss them, the tables do not.", sum.EventsDropped))
	}
	all := r.join(sum)
	p.Sessions = all.Len()
	worst := worstOf(all, max(MaxLanes, maxSessionRows))
	p.Timeline = r.drawTimeline(all, worst, end)
	if all.Len() > MaxLanes {
		p.Notes = append(p.Notes, fmt.Sprintf("%d sessions: the timeline shows one lane per group and the %d worst sessions (longest token gap, then most failures).", all.Len(), MaxLanes))
	}
	aggs := r.policies(all)
	p.Verdict = verdict(aggs)
	p.PolicyHead = policyHead
	p.Policies = policyRows(aggs)
	p.Chart = r.drawChart(end)
	rows := all.All()
	if all.Len() > maxSessionRows {
		rows = slices.Values(worst[:maxSessionRows])
		p.SessionNote = fmt.Sprintf("The %d worst of %d sessions (longest token gap, then most failures).", maxSessionRows, all.Len())
	}
	for s := range rows {
		p.SessionRows = append(p.SessionRows, sessionRow(s))
	}
	p.Histogram = r.drawHistogram()
	p.LatencyNote = r.latencyNote(sum, p.Histogram.Total)
	for rs := range numReasons {
		if rs != reasonOther {
			p.Legend = append(p.Legend, legendItem{reasonColor[rs], reasonNames[rs] + " (succeeded)"})
		}
	}
	for o := outcomeFailed; o < numOutcomes; o++ {
		p.Legend = append(p.Legend, legendItem{outcomeColor[o], outcomeNames[o]})
	}
	p.Legend = append(p.Legend, legendItem{colorValid, "valid token"}, legendItem{colorGap, "token gap"},
		legendItem{colorFault, "injected fault"}, legendItem{colorDispose, "disposed"}, legendItem{colorRestart, "restarted"},
		legendItem{colorSignOut, "signed out"})
	return p
}

// sessionSet is the run's sessions: the summary's, in its order, then any
// recorded only. It makes each session's stats as they are read rather
// than holding a copy of all: a run may have 100,000 sessions.
type sessionSet struct {
	r     *Recorder
	sum   []session.SessionSummary
	extra []stats // recorded only (sessions the summary does not name)
}

// join pairs the summary's sessions with the recorded ones.
func (r *Recorder) join(sum session.Summary) sessionSet {
	set := sessionSet{r: r, sum: sum.Sessions}
	for i := range sum.Sessions {
		if rec := r.sessions[sum.Sessions[i].Name]; rec != nil {
			rec.joined = true
		}
	}
	for _, rec := range r.order {
		if !rec.joined {
			set.extra = append(set.extra, stats{SessionSummary: &session.SessionSummary{Name: rec.name, Policy: rec.policy,
				Failures: rec.counts[outcomeFailed] + rec.counts[outcomeRejected], Aborts: rec.counts[outcomeAborted]},
				Policy: cmp.Or(rec.policy, "unknown"), rec: rec})
		}
		rec.joined = false // for the next Write
	}
	return set
}

// Len is the number of sessions.
func (s sessionSet) Len() int { return len(s.sum) + len(s.extra) }

// At returns the i-th session's stats.
func (s sessionSet) At(i int) stats {
	if i >= len(s.sum) {
		return s.extra[i-len(s.sum)]
	}
	ss := &s.sum[i]
	st := stats{SessionSummary: ss, Policy: ss.Policy, rec: s.r.sessions[ss.Name]}
	if st.Policy == "" && st.rec != nil {
		st.Policy = st.rec.policy
	}
	if st.Policy == "" {
		st.Policy = "unknown"
	}
	return st
}

// All yields every session's stats, in order.
func (s sessionSet) All() iter.Seq[stats] {
	return func(yield func(stats) bool) {
		for i := range s.Len() {
			if !yield(s.At(i)) {
				return
			}
		}
	}
}

// worstOf returns the n worst sessions, worst first, ties in their order
// (as a stable sort would). It keeps the n worst seen so far rather than
// sorting all: with 100,000 sessions that saves a copy on every Write.
func worstOf(all sessionSet, n int) []stats {
	out := make([]stats, 0, min(n, all.Len()))
	for s := range all.All() {
		// The first kept session that s is worse than; a tie stays after
		// the kept one, which came first.
		at, hi := 0, len(out) // by hand: a closure over s would move it to the heap
		for at < hi {
			if mid := int(uint(at+hi) >> 1); worse(s, out[mid]) < 0 {
				hi = mid
			} else {
				at = mid + 1
			}
		}
		switch {
		case at == n:
		case len(out) < n:
			out = slices.Insert(out, at, s)
		default:
			copy(out[at+1:], out[at:n-1])
			out[at] = s
		}
	}
	return out
}

// worse orders sessions worst first: never had a token, longest gap, most
// failures; ties keep their order.
func worse(a, b stats) int {
	if a.NeverHadToken != b.NeverHadToken {
		if a.NeverHadToken {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(b.TokenGapSeconds, a.TokenGapSeconds); c != 0 {
		return c
	}
	return cmp.Compare(b.Failures, a.Failures)
}

// Colours of the timeline.
const (
	colorValid   = "#b7e1b0"
	colorGap     = "#e0202a"
	colorFault   = "#8a8a8a"
	colorDispose = "#222222"
	colorRestart = "#2a6fdb"
	colorSignOut = "#7a4dbb"
)

var reasonColor = [numReasons]string{"#555555", "#7f7f7f", "#1f77b4", "#9467bd", "#17becf", "#bcbd22"}
var outcomeColor = [numOutcomes]string{"", "#ff7f0e", "#8c564b", "#e377c2"}

// scale maps ns since the base to x.
type scale struct{ end int64 }

func (s scale) x(t int64) float64 {
	t = min(max(t, 0), s.end)
	return labelWidth + float64(t)/float64(s.end)*plotWidth
}

func (r *Recorder) drawTimeline(all sessionSet, worst []stats, end int64) timeline {
	sc := scale{end}
	t := timeline{Width: labelWidth + plotWidth + 40, PlotX: labelWidth, PlotW: plotWidth, LanesTop: axisHeight}
	t.Ticks = axisTicks(end)
	y := axisHeight
	addLane := func(l laneView) {
		l.Y, l.TextY = y, y+laneHeight/2+4
		for i := range l.Rects {
			l.Rects[i].Y += float64(y)
		}
		t.Lanes = append(t.Lanes, l)
		y += laneHeight + laneGap
	}
	if all.Len() <= MaxLanes {
		for s := range all.All() {
			addLane(r.sessionLane(s, sc))
		}
	} else {
		for _, g := range groupLanes(all, sc) {
			addLane(g)
		}
		for _, s := range worst[:MaxLanes] {
			addLane(r.sessionLane(s, sc))
		}
	}
	t.Height = y + 4
	t.Faults = r.faultBands(sc, axisHeight, float64(y-axisHeight))
	return t
}

// faultBands shades each fault's window, from y down h px: to its end, to
// its last counted call, to a clear, or (still open) to the end of the run.
func (r *Recorder) faultBands(sc scale, y, h float64) []bandView {
	var out []bandView
	for _, f := range r.faults.items() {
		to := f.to
		if to < 0 {
			to = sc.end
		}
		x0, x1 := sc.x(f.from), sc.x(to)
		out = append(out, bandView{X: x0, Y: y, W: max(x1-x0, 1), H: h,
			Color: colorFault, Opacity: 0.3, Title: fmt.Sprintf("fault %s–%s: %s", offsetText(f.from), offsetText(to), f.what), TitleNeeded: true})
	}
	return out
}

// sessionLane draws one session: its token periods, gaps, attempts and marks.
func (r *Recorder) sessionLane(s stats, sc scale) laneView {
	l := laneView{Label: clip(s.Name, 24), Title: fmt.Sprintf("%s (%s): %d issuer calls, %d failures, token gap %s",
		s.Name, s.Policy, s.IssuerCalls, s.Failures, secondsText(s.TokenGapSeconds))}
	rec := s.rec
	if rec == nil {
		return l
	}
	const h = laneHeight
	for _, p := range rec.periods.items() {
		x0, x1 := sc.x(p.from), sc.x(p.to)
		l.Rects = append(l.Rects, bandView{X: x0, Y: 3, W: max(x1-x0, 1), H: h - 6, Color: colorValid, Opacity: 1,
			Title: fmt.Sprintf("token valid %s–%s", offsetText(p.from), offsetText(p.to)), TitleNeeded: true})
	}
	for _, g := range rec.allGaps(sc.end) {
		x0, x1 := sc.x(g.from), sc.x(g.to)
		l.Rects = append(l.Rects, bandView{X: x0, Y: h/2 - 2, W: max(x1-x0, 1.5), H: h/2 + 1, Color: colorGap, Opacity: 0.9,
			Title: fmt.Sprintf("token gap %s–%s (%s)", offsetText(g.from), offsetText(g.to), time.Duration(g.to-g.from).Round(time.Millisecond)), TitleNeeded: true})
	}
	l.Rects = append(l.Rects, r.attemptMarks(rec, sc)...)
	// Marks in order of kind, so that a restart or a sign-out is drawn over
	// a dispose at the same pixel, never under it.
	marks := slices.Clone(rec.marks.items())
	slices.SortStableFunc(marks, func(a, b mark) int { return cmp.Compare(a.kind, b.kind) })
	for _, m := range marks {
		c, what := colorDispose, "disposed"
		switch m.kind {
		case markRestarted:
			c, what = colorRestart, "restarted"
		case markSignedOut:
			c, what = colorSignOut, "signed out"
		}
		l.Rects = append(l.Rects, bandView{X: sc.x(m.at) - 1, Y: 0, W: 3, H: h, Color: c, Opacity: 1,
			Title: what + " at " + offsetText(m.at), TitleNeeded: true})
	}
	if n := rec.attempts.dropped; n > 0 {
		l.Title += fmt.Sprintf("; %d older attempts not drawn", n)
	}
	return l
}

// allGaps returns the closed gaps and the one still open at end.
func (s *sessionRec) allGaps(end int64) []span {
	gaps := s.gaps.items()
	switch {
	case s.live && s.holding && s.tokenEnd < end:
		gaps = append(slices.Clip(gaps), span{s.tokenEnd, end})
	case !s.holding && s.firstTry >= 0 && s.live:
		gaps = append(slices.Clip(gaps), span{s.firstTry, end})
	}
	return gaps
}

// attemptMarks draws attempts as ticks, merging those within one column:
// a merged tick takes the colour of its worst outcome.
func (r *Recorder) attemptMarks(rec *sessionRec, sc scale) []bandView {
	var out []bandView
	var cur struct {
		col       int
		n         int
		worst     attempt
		first     attempt
		failures  int
		maxLatent uint32
	}
	flush := func() {
		if cur.n == 0 {
			return
		}
		a := cur.worst
		color := reasonColor[a.reason]
		if a.outcome != outcomeSucceeded {
			color = outcomeColor[a.outcome]
		}
		var title string
		if cur.n == 1 {
			title = fmt.Sprintf("%s %s at %s, latency %dms", reasonNames[a.reason], outcomeNames[a.outcome], offsetText(a.start), a.latency)
			if a.outcome != outcomeSucceeded {
				title += ": " + r.errorText(a.err)
			}
		} else {
			title = fmt.Sprintf("%d attempts from %s, %d not succeeded, longest latency %dms", cur.n, offsetText(cur.first.start), cur.failures, cur.maxLatent)
			if a.outcome != outcomeSucceeded {
				title += "; e.g. " + r.errorText(a.err)
			}
		}
		out = append(out, bandView{X: float64(cur.col * column), Y: 1, W: column, H: laneHeight - 2, Color: color, Opacity: 1, Title: title, TitleNeeded: true})
		cur.n = 0
	}
	for _, a := range rec.attempts.items() {
		col := int(sc.x(a.start)) / column
		if cur.n > 0 && col != cur.col {
			flush()
		}
		if cur.n == 0 {
			cur.col, cur.first, cur.worst, cur.failures, cur.maxLatent = col, a, a, 0, 0
		}
		cur.n++
		if a.outcome != outcomeSucceeded {
			cur.failures++
			if cur.worst.outcome == outcomeSucceeded {
				cur.worst = a
			}
		}
		cur.maxLatent = max(cur.maxLatent, a.latency)
	}
	flush()
	return out
}

func (r *Recorder) errorText(i uint16) string {
	if i == 0 || int(i) >= len(r.errors) {
		return "(error text not kept)"
	}
	return r.errors[i]
}

// groupID is a session's group: its policy and the prefix of its name
// before a trailing "-N" (a scenario's count sessions s-1..s-N share one).
// It holds parts of the session's strings, so finding a group allocates
// nothing.
type groupID struct{ policy, prefix string }

func groupOf(s stats) groupID {
	name := s.Name
	if i := strings.LastIndexByte(name, '-'); i > 0 && strings.Trim(name[i+1:], "0123456789") == "" {
		name = name[:i]
	}
	return groupID{s.Policy, name}
}

// String is the group's label: "js · s-*".
func (g groupID) String() string { return g.policy + " · " + g.prefix + "-*" }

// groupLanes draws one lane per group: attempts, failures and the share of
// the group without a token, in bins of time.
func groupLanes(all sessionSet, sc scale) []laneView {
	type bins struct {
		key              string
		sessions         int
		attempts, failed [groupBins]uint32
		gap              [groupBins]float64 // session-ns without a token
	}
	index := map[groupID]*bins{}
	var groups []*bins
	binOf := func(t int64) int { return min(max(int(float64(t)/float64(sc.end)*groupBins), 0), groupBins-1) }
	binNS := float64(sc.end) / groupBins
	for s := range all.All() {
		id := groupOf(s)
		g := index[id]
		if g == nil {
			g = &bins{key: id.String()}
			index[id] = g
			groups = append(groups, g)
		}
		g.sessions++
		if s.rec == nil {
			continue
		}
		for _, a := range s.rec.attempts.buf {
			b := binOf(a.start)
			g.attempts[b]++
			if a.outcome != outcomeSucceeded {
				g.failed[b]++
			}
		}
		for _, gp := range s.rec.allGaps(sc.end) {
			for t := gp.from; t < gp.to; {
				b := binOf(t)
				next := min(int64(float64(b+1)*binNS)+1, gp.to)
				g.gap[b] += float64(next - t)
				t = next
			}
		}
	}
	if len(groups) > maxGroupLanes {
		slices.SortStableFunc(groups, func(a, b *bins) int { return cmp.Compare(b.sessions, a.sessions) })
		other := &bins{key: fmt.Sprintf("%d other groups", len(groups)-maxGroupLanes+1)}
		for _, g := range groups[maxGroupLanes-1:] {
			other.sessions += g.sessions
			for i := range groupBins {
				other.attempts[i] += g.attempts[i]
				other.failed[i] += g.failed[i]
				other.gap[i] += g.gap[i]
			}
		}
		groups = append(groups[:maxGroupLanes-1], other)
	}
	var lanes []laneView
	w := float64(plotWidth) / groupBins
	for _, g := range groups {
		l := laneView{Group: true, Label: clip(g.key, 24), Title: fmt.Sprintf("group %s: %d sessions", g.key, g.sessions)}
		var most uint32
		for _, n := range g.attempts {
			most = max(most, n)
		}
		for i := range groupBins {
			if g.attempts[i] == 0 && g.gap[i] == 0 {
				continue
			}
			x := labelWidth + float64(i)*w
			from := int64(float64(i) * binNS)
			title := fmt.Sprintf("%s–%s: %d attempts, %d not succeeded, %.1f sessions without a token on average",
				offsetText(from), offsetText(int64(float64(i+1)*binNS)), g.attempts[i], g.failed[i], g.gap[i]/binNS)
			if g.attempts[i] > 0 {
				h := 2 + float64(g.attempts[i])/float64(max(most, 1))*(laneHeight-4)
				c := reasonColor[reasonProactive]
				if g.failed[i] > 0 {
					c = outcomeColor[outcomeFailed]
				}
				l.Rects = append(l.Rects, bandView{X: x, Y: laneHeight - h, W: w, H: h, Color: c, Opacity: 0.8, Title: title, TitleNeeded: true})
			}
			if g.gap[i] > 0 {
				share := min(g.gap[i]/binNS/float64(g.sessions), 1)
				h := 3 + share*(laneHeight-4)
				l.Rects = append(l.Rects, bandView{X: x, Y: 0, W: w, H: h, Color: colorGap, Opacity: 0.9, Title: title, TitleNeeded: true})
			}
		}
		lanes = append(lanes, l)
	}
	return lanes
}

// axisTicks picks round steps so that the axis has at most a dozen labels.
func axisTicks(end int64) []axisTick {
	steps := []time.Duration{time.Second, 10 * time.Second, time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
		30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if end/int64(s) <= 12 {
			step = s
			break
		}
	}
	var out []axisTick
	sc := scale{end}
	for t := int64(0); t <= end && len(out) < 200; t += int64(step) {
		out = append(out, axisTick{X: int(sc.x(t)), Label: offsetText(t)})
	}
	return out
}

// offsetText is an offset from the start: "+1:05:00", "+2d 3:00:00".
func offsetText(ns int64) string {
	d := time.Duration(ns)
	s := int64(d / time.Second)
	text := fmt.Sprintf("+%d:%02d:%02d", s/3600%24, s/60%60, s%60)
	if days := s / 86400; days > 0 {
		text = fmt.Sprintf("+%dd %d:%02d:%02d", days, s/3600%24, s/60%60, s%60)
	}
	if ms := int64(d/time.Millisecond) % 1000; ms != 0 {
		text += fmt.Sprintf(".%03d", ms)
	}
	return text
}

func secondsText(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

// policyAgg is one policy's sessions summed.
type policyAgg struct {
	name                                     string
	sessions, withGap, neverHad              int
	calls, successes, failures, callerErrors uint64
	refused                                  uint64
	gap, longestGap, longestWaitMS           float64
	classes                                  [numClasses]uint64
	latency                                  *latencyDist
}

// policyOrder is the order of the per-policy table and the verdict: the
// SDK policies as scenario.PolicyNames lists them (tokentop, js, dotnet,
// java, python), then any other label (static, ...) by name, so that the
// rows read the same from report to report.
func policyOrder(a, b *policyAgg) int {
	names := scenario.PolicyNames()
	ia, ib := slices.Index(names, a.name), slices.Index(names, b.name)
	switch {
	case ia >= 0 && ib >= 0:
		return cmp.Compare(ia, ib)
	case ia >= 0:
		return -1
	case ib >= 0:
		return 1
	}
	return strings.Compare(a.name, b.name)
}

// policies sums the sessions per policy, in policyOrder.
func (r *Recorder) policies(all sessionSet) []*policyAgg {
	index := map[string]*policyAgg{}
	var out []*policyAgg
	for s := range all.All() {
		a := index[s.Policy]
		if a == nil {
			a = &policyAgg{name: s.Policy, latency: r.perPolicy[s.Policy]}
			index[s.Policy] = a
			out = append(out, a)
		}
		a.sessions++
		a.calls += s.IssuerCalls
		a.successes += s.Successes
		a.failures += s.Failures
		a.callerErrors += s.GetTokenErrors
		a.refused += s.ResourceRefused
		a.gap += s.TokenGapSeconds
		a.longestGap = max(a.longestGap, s.TokenGapSeconds)
		a.longestWaitMS = max(a.longestWaitMS, s.MaxWaitMS)
		if s.TokenGapSeconds > 0 || s.NeverHadToken {
			a.withGap++
		}
		if s.NeverHadToken {
			a.neverHad++
		}
		if s.rec != nil {
			for c, n := range s.rec.classes {
				a.classes[c] += uint64(n)
			}
		}
	}
	slices.SortStableFunc(out, policyOrder)
	return out
}

// policyHead heads the per-policy table, one name per column of policyRows.
var policyHead = append([]string{"policy", "sessions", "issuer calls", "successes", "failures", "caller errors",
	"sessions with a gap", "token gap (sum)", "longest gap", "p50", "p90", "p99", "max"},
	append(classNames[:], "longest wait", "resource refusals")...)

// policyRows is the per-policy table.
func policyRows(aggs []*policyAgg) []row {
	rows := make([]row, 0, len(aggs))
	for _, a := range aggs {
		cells := []cell{textCell(a.name), intCell(uint64(a.sessions)), intCell(a.calls), intCell(a.successes), intCell(a.failures),
			intCell(a.callerErrors), intCell(uint64(a.withGap)), secCell(a.gap), secCell(a.longestGap)}
		for _, q := range []float64{0.5, 0.9, 0.99, 1} {
			cells = append(cells, msCell(float64(a.latency.quantile(q))/float64(time.Millisecond)))
		}
		for _, n := range a.classes {
			cells = append(cells, intCell(n))
		}
		cells = append(cells, msCell(a.longestWaitMS), intCell(a.refused))
		rows = append(rows, row{Cells: cells})
	}
	return rows
}

func sessionRow(s stats) row {
	gap := secCell(s.TokenGapSeconds)
	if s.NeverHadToken {
		gap.Text = "never had a token"
		gap.Key = "1e18"
	}
	return row{Cells: []cell{textCell(s.Name), textCell(s.Policy), intCell(s.IssuerCalls), intCell(s.Successes), intCell(s.Failures),
		intCell(s.Aborts), intCell(s.GetTokenErrors), gap, msCell(s.MaxWaitMS), intCell(s.ResourceRefused)}}
}

func textCell(s string) cell { return cell{Text: s, Key: s} }
func intCell(n uint64) cell  { return cell{Text: fmt.Sprint(n), Key: fmt.Sprint(n), Num: true} }
func secCell(s float64) cell { return cell{Text: secondsText(s), Key: fmt.Sprintf("%g", s), Num: true} }
func msCell(ms float64) cell {
	return cell{Text: time.Duration(ms * float64(time.Millisecond)).Round(time.Millisecond).String(), Key: fmt.Sprintf("%g", ms), Num: true}
}

// histogramView is the latency distribution's bars, with a count over each
// and a scale of calls on the left.
type histogramView struct {
	Width, Height, Total, AxisX, Base int
	Bars                              []histBar
	YTicks                            []axisTick
}

type histBar struct {
	X, Y, W, H, LabelY, CountX, CountY int
	Label, Count, Title                string
}

func (r *Recorder) drawHistogram() histogramView {
	const barW, gap, height, top, left = 44, 6, 140, 18, 50
	var most uint64
	var total uint64
	for _, n := range r.latency.counts {
		most = max(most, n)
		total += n
	}
	v := histogramView{Width: left + len(r.latency.counts)*(barW+gap) + 20, Height: height + top + 34, Total: int(min(total, 1<<31)),
		AxisX: left - 4, Base: top + height}
	for _, n := range yTicks(most) {
		v.YTicks = append(v.YTicks, axisTick{X: top + height - int(float64(n)/float64(max(most, 1))*height), Label: fmt.Sprint(n)})
	}
	for i, n := range r.latency.counts {
		label := "≤" + latencyBounds[min(i, len(latencyBounds)-1)].String()
		if i == len(latencyBounds) {
			label = ">" + latencyBounds[len(latencyBounds)-1].String()
		}
		h := 0
		if most > 0 {
			h = int(float64(n) / float64(most) * height)
		}
		if n > 0 {
			h = max(h, 1)
		}
		x := left + i*(barW+gap)
		b := histBar{X: x, Y: top + height - h, W: barW, H: h, LabelY: top + height + 16, Label: label,
			Title: fmt.Sprintf("%s: %d issuer calls", label, n), CountX: x + barW/2, CountY: top + height - h - 3}
		if n > 0 {
			b.Count = fmt.Sprint(n)
		}
		v.Bars = append(v.Bars, b)
	}
	return v
}

// yTicks are the labelled counts of a scale up to most: 0, the middle
// (when it is a whole number) and most.
func yTicks(most uint64) []uint64 {
	ticks := []uint64{0}
	if most >= 2 && most%2 == 0 {
		ticks = append(ticks, most/2)
	}
	if most > 0 {
		ticks = append(ticks, most)
	}
	return ticks
}
