package ui

import (
	"cmp"
	"slices"
	"strings"
)

// sortKey is the order of the table's rows, cycled by o.
type sortKey int

const (
	sortAdded    sortKey = iota // the order the sessions were added
	sortName                    // by name, A to Z
	sortExpiry                  // soonest expiry first; sessions without a token last
	sortFailures                // most failures first
	sortLatency                 // slowest last issuer call first
	sortKeys
)

var sortNames = [...]string{
	sortAdded:    "the order added",
	sortName:     "name",
	sortExpiry:   "expiry (soonest first)",
	sortFailures: "failures (most first)",
	sortLatency:  "latency (slowest first)",
}

func (k sortKey) String() string { return sortNames[k] }

// next is the order after k.
func (k sortKey) next() sortKey { return (k + 1) % sortKeys }

// sortVisible orders the visible rows (indexes into sessions) by key,
// reversed when reverse is set; ties keep the order the sessions were added.
func sortVisible(visible []int, sessions []sessionView, key sortKey, reverse bool) {
	switch {
	case key == sortAdded && reverse:
		slices.Reverse(visible)
	case key != sortAdded:
		slices.SortStableFunc(visible, func(a, b int) int {
			c := compareSessions(&sessions[a], &sessions[b], key)
			if reverse {
				return -c
			}
			return c
		})
	}
}

// sortText names the order for the status line: "name", "name, reversed".
func sortText(k sortKey, reverse bool) string {
	if reverse {
		return k.String() + ", reversed"
	}
	return k.String()
}

func compareSessions(a, b *sessionView, key sortKey) int {
	switch key {
	case sortName:
		return strings.Compare(a.Name, b.Name)
	case sortExpiry:
		switch az, bz := a.ExpiresOn.IsZero() || a.State.ended(), b.ExpiresOn.IsZero() || b.State.ended(); {
		case az && bz:
			return 0
		case az:
			return 1
		case bz:
			return -1
		}
		return a.ExpiresOn.Compare(b.ExpiresOn)
	case sortFailures:
		return cmp.Compare(b.Failures, a.Failures)
	case sortLatency:
		return cmp.Compare(b.LastLatency, a.LastLatency)
	}
	return 0
}

// column is the title of the table column the key sorts by ("" for none).
func (k sortKey) column() string {
	switch k {
	case sortName:
		return "NAME"
	case sortExpiry:
		return "EXPIRES IN"
	case sortFailures:
		return "FAIL"
	case sortLatency:
		return "LAT"
	}
	return ""
}

// sortMark is the arrow after the sorted column's title: up for A to Z and
// soonest first, down for most or slowest first; reversed, the other one.
func sortMark(k sortKey, reverse bool) string {
	if (k == sortFailures || k == sortLatency) != reverse {
		return "▼"
	}
	return "▲"
}
