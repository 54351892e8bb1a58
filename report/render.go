package report

import (
	"bufio"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"iter"
	"slices"
	"time"

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
