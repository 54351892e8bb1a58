package report

import (
	"fmt"
	"strings"
	"time"
	"tokentop/internal/durfmt"

	"tokentop/session"
)

// Layout of the chart over time, below the timeline and on its time scale.
const (
	chartTop    = 10
	chartHeight = 110
	// chartBars is how many bars the chart may draw; a long run's bars
	// are wider (see overTime.bins).
	chartBars = 200
)

// chartView is the SVG of issuer calls and failures over time.
type chartView struct {
	ID                                     string // the SVG's id: "overtime" on a run's page
	Width, Height, PlotX, PlotW, Top, Base int
	Per                                    string // the bars' width in words: "minute", "15 minutes"
	Faults                                 []bandView
	Calls, Failed                          []bandView
	Ticks, YTicks                          []axisTick
}

// drawChart draws issuer calls (all sessions) per bin of time, their
// failures over them, and the fault windows behind.
func (r *Recorder) drawChart(end int64) chartView {
	return r.drawChartScaled(end, r.chartMost(end))
}

// chartMost is the most issuer calls in one of the chart's bins.
func (r *Recorder) chartMost(end int64) uint32 {
	calls, _, _ := r.overTime.bins(end, chartBars)
	var most uint32
	for _, n := range calls {
		most = max(most, n)
	}
	return most
}

// drawChartScaled is drawChart with most calls at the top of the scale
// (charts side by side share one).
func (r *Recorder) drawChartScaled(end int64, most uint32) chartView {
	sc := scale{end}
	base := chartTop + chartHeight
	v := chartView{ID: "overtime", Width: labelWidth + plotWidth + 40, Height: base + 22, PlotX: labelWidth, PlotW: plotWidth, Top: chartTop, Base: base}
	calls, failed, width := r.overTime.bins(end, chartBars)
	v.Per = perText(width)
	v.Faults = r.faultBands(sc, chartTop, chartHeight)
	for _, n := range yTicks(uint64(most)) {
		v.YTicks = append(v.YTicks, axisTick{X: base - int(float64(n)/float64(max(most, 1))*chartHeight), Label: fmt.Sprint(n)})
	}
	for _, t := range axisTicks(end) {
		v.Ticks = append(v.Ticks, axisTick{X: t.X, Label: t.Label})
	}
	bar := func(from int64, n uint32, color, title string) bandView {
		x0, x1 := sc.x(from), sc.x(from+int64(width))
		h := float64(n) / float64(max(most, 1)) * chartHeight
		h = max(h, 1)
		return bandView{X: x0, Y: float64(base) - h, W: max(x1-x0-0.5, 0.5), H: h, Color: color, Opacity: 1, Title: title, TitleNeeded: true}
	}
	for i, n := range calls {
		if n == 0 {
			continue
		}
		from := int64(i) * int64(width)
		if from >= end {
			break
		}
		title := fmt.Sprintf("%s–%s: %d issuer calls, %d failed", offsetText(from), offsetText(from+int64(width)), n, failed[i])
		v.Calls = append(v.Calls, bar(from, n, reasonColor[reasonProactive], title))
		if failed[i] > 0 {
			v.Failed = append(v.Failed, bar(from, failed[i], outcomeColor[outcomeFailed], title))
		}
	}
	return v
}

// perText names a bin width for the chart's caption: "minute", "15 minutes".
func perText(d time.Duration) string {
	switch d {
	case time.Minute:
		return "minute"
	case time.Hour:
		return "hour"
	case 24 * time.Hour:
		return "day"
	case 7 * 24 * time.Hour:
		return "week"
	}
	text := durfmt.Format(d)
	text = strings.NewReplacer("m", " minutes", "h", " hours", " days", " days").Replace(text)
	return text
}

// latencyNote says how many issuer calls the latency histogram holds, and
// which of the tables' issuer calls it leaves out and why.
func (r *Recorder) latencyNote(sum session.Summary, measured int) string {
	var calls, inFlight uint64
	for _, s := range sum.Sessions {
		calls += s.IssuerCalls
		inFlight += s.InFlight
	}
	note := fmt.Sprintf("%d issuer %s with a measured latency", measured, plural(min(measured, 2), "call", "calls"))
	if calls == uint64(measured) {
		return note + ": every issuer call in the tables."
	}
	note += fmt.Sprintf(" of the %d in the tables; left out:", calls)
	var out []string
	rest := int64(calls) - int64(measured)
	add := func(n uint64, what string) {
		if n > 0 {
			out = append(out, fmt.Sprintf(" %d %s", n, what))
			rest -= int64(n)
		}
	}
	add(r.unmeasured.initial, plural(int(min(r.unmeasured.initial, 2)), "initial issue", "initial issues")+" when a session started (not timed)")
	add(inFlight, "still in flight at the end")
	add(r.unmeasured.aborted, "aborted before an answer")
	if rest != 0 {
		out = append(out, fmt.Sprintf(" %d not seen by the report (events dropped)", rest))
	}
	return note + strings.Join(out, ";") + "."
}
