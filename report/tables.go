package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"tokentop/scenario"
)

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
