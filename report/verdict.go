package report

import (
	"fmt"
	"math"
	"strings"
	"time"
	"tokentop/internal/durfmt"
)

// verdict is the report's opening: one or two sentences, built from the
// per-policy sums, that a reader can quote. The first says which policies
// were without a token and for how long, whose callers saw errors, and
// which had no gap; the second names the policy that called the issuer
// most, and any resource refusals.
func verdict(aggs []*policyAgg) []string {
	if len(aggs) == 0 {
		return []string{"No session ran."}
	}
	var parts []string
	var gapPhrases []string
	gapNames := map[string][]string{}
	var clean []string
	for _, a := range aggs {
		switch {
		case a.neverHad > 0:
			parts = append(parts, fmt.Sprintf("%d of %s's %d %s never got a token", a.neverHad, a.name, a.sessions, plural(a.sessions, "session", "sessions")))
		case a.gap > 0:
			p := "without a token for " + durationText(a.gap)
			if a.withGap > 1 && a.longestGap < a.gap {
				p += fmt.Sprintf(" in all (longest %s)", durationText(a.longestGap))
			}
			if gapNames[p] == nil {
				gapPhrases = append(gapPhrases, p)
			}
			name := a.name
			if a.sessions > 1 {
				name += fmt.Sprintf(" (%d of %d sessions)", a.withGap, a.sessions)
			}
			gapNames[p] = append(gapNames[p], name)
		case a.callerErrors == 0:
			clean = append(clean, a.name)
		}
	}
	for _, p := range gapPhrases {
		names := gapNames[p]
		parts = append(parts, fmt.Sprintf("%s %s %s", andList(names), plural(len(names), "was", "were"), p))
	}
	for _, a := range aggs {
		if a.callerErrors == 0 {
			continue
		}
		p := fmt.Sprintf("%s's callers saw %d %s", a.name, a.callerErrors, plural(int(min(a.callerErrors, 2)), "error", "errors"))
		if a.gap == 0 && a.neverHad == 0 {
			p += " with no token gap"
		}
		parts = append(parts, p)
	}
	if len(clean) > 0 {
		parts = append(parts, andList(clean)+" had no gap")
	}
	out := []string{strings.Join(parts, "; ") + "."}

	var more []string
	if len(aggs) > 1 {
		most := aggs[0]
		alone := true
		for _, a := range aggs[1:] {
			switch {
			case a.calls > most.calls:
				most, alone = a, true
			case a.calls == most.calls:
				alone = false
			}
		}
		if alone && most.calls > 0 {
			more = append(more, fmt.Sprintf("%s called the issuer most: %d %s, %d failed", most.name, most.calls, plural(int(min(most.calls, 2)), "time", "times"), most.failures))
		}
	}
	var refused []string
	for _, a := range aggs {
		if a.refused > 0 {
			refused = append(refused, fmt.Sprintf("%d of %s's", a.refused, a.name))
		}
	}
	if len(refused) > 0 {
		more = append(more, "the resource refused "+andList(refused)+" tokens")
	}
	if len(more) > 0 {
		out = append(out, strings.Join(more, "; ")+".")
	}
	return out
}

// durationText writes seconds as session text writes durations ("40s", "15m").
func durationText(sec float64) string {
	d := sec * float64(time.Second)
	if d >= math.MaxInt64 {
		return durfmt.Format(math.MaxInt64)
	}
	return durfmt.Format(time.Duration(d))
}

// andList joins names as a sentence does: "a", "a and b", "a, b and c".
func andList(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
