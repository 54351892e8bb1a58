package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

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
