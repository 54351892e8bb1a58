package ui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles holds every style the screen uses, named by what they mean rather
// than how they look, so a theme (or the no-colour variant) is one value.
type Styles struct {
	// Title is the product name in the header.
	Title lipgloss.Style
	// HeaderLabel and HeaderValue render "label value" pairs in the header.
	HeaderLabel, HeaderValue lipgloss.Style
	// Paused marks the header while virtual time is frozen.
	Paused lipgloss.Style
	// Warning draws attention to counters that should stay zero (failures, dropped events).
	Warning lipgloss.Style
	// Rule is the horizontal separator between regions.
	Rule lipgloss.Style
	// ColumnHeader is the table's header row.
	ColumnHeader lipgloss.Style
	// Selected is the cursor row of the table when the table has focus;
	// SelectedBlurred is the cursor row when focus is elsewhere.
	Selected, SelectedBlurred lipgloss.Style
	// Muted is secondary text: units, hints, empty placeholders.
	Muted lipgloss.Style
	// States colours a session state label and its countdown bar.
	States StateStyles
	// BarEmpty is the drained part of a countdown bar; BarMarker the refresh-window edge.
	BarEmpty, BarMarker lipgloss.Style
	// BadgeOK, BadgeBad and BadgeNeutral render the detail pane's badges.
	BadgeOK, BadgeBad, BadgeNeutral lipgloss.Style
	// ClaimKey labels a decoded claim.
	ClaimKey lipgloss.Style
	// Lane styles the timeline: Valid spans, OK/Failed/Aborted attempts, Disposed marks.
	LaneValid, LaneGap, LaneOK, LaneFailed, LaneAborted, LaneDisposed lipgloss.Style
	// EventTime prefixes each event-log line.
	EventTime lipgloss.Style
	// Prompt is a confirm question or a menu title; PromptKey its key hints.
	Prompt, PromptKey lipgloss.Style
	// Focused marks the region (table or event log) that receives movement keys.
	Focused lipgloss.Style
	// Help styles the help line and the full help.
	Help help.Styles
}

// StateStyles colours each session state.
type StateStyles struct {
	Valid, InWindow, Refreshing, Retrying, Expired, Aborted, Failed, Ended lipgloss.Style
}

// DefaultStyles returns the colour theme for a dark or light terminal background.
func DefaultStyles(hasDarkBackground bool) Styles {
	ld := lipgloss.LightDark(hasDarkBackground)
	fg := func(light, dark string) lipgloss.Style {
		return lipgloss.NewStyle().Foreground(ld(lipgloss.Color(light), lipgloss.Color(dark)))
	}
	green := fg("#1a7f37", "#3fb950")
	yellow := fg("#9a6700", "#d29922")
	cyan := fg("#0969da", "#58a6ff")
	orange := fg("#bc4c00", "#f0883e")
	red := fg("#cf222e", "#f85149")
	magenta := fg("#8250df", "#bc8cff")
	grey := fg("#6e7781", "#8b949e")
	var selBg color.Color = ld(lipgloss.Color("#d0d7de"), lipgloss.Color("#30363d"))
	var dimBg color.Color = ld(lipgloss.Color("#eaeef2"), lipgloss.Color("#21262d"))

	return Styles{
		Title:           lipgloss.NewStyle().Bold(true).Foreground(ld(lipgloss.Color("#0969da"), lipgloss.Color("#79c0ff"))),
		HeaderLabel:     grey,
		HeaderValue:     lipgloss.NewStyle().Bold(true),
		Paused:          lipgloss.NewStyle().Bold(true).Reverse(true).Inherit(yellow),
		Warning:         red.Bold(true),
		Rule:            grey,
		ColumnHeader:    lipgloss.NewStyle().Bold(true).Inherit(grey),
		Selected:        lipgloss.NewStyle().Background(selBg).Bold(true),
		SelectedBlurred: lipgloss.NewStyle().Background(dimBg),
		Muted:           grey,
		States: StateStyles{
			Valid: green, InWindow: yellow, Refreshing: cyan, Retrying: orange,
			Expired: red, Aborted: magenta, Failed: red.Bold(true), Ended: grey,
		},
		BarEmpty:     grey,
		BarMarker:    lipgloss.NewStyle().Bold(true),
		BadgeOK:      green.Bold(true),
		BadgeBad:     red.Bold(true),
		BadgeNeutral: yellow,
		ClaimKey:     grey,
		LaneValid:    green,
		LaneGap:      grey,
		LaneOK:       green.Bold(true),
		LaneFailed:   red.Bold(true),
		LaneAborted:  magenta.Bold(true),
		LaneDisposed: grey.Bold(true),
		EventTime:    grey,
		Prompt:       lipgloss.NewStyle().Bold(true).Inherit(yellow),
		PromptKey:    lipgloss.NewStyle().Bold(true),
		Focused:      lipgloss.NewStyle().Bold(true).Inherit(cyan),
		Help:         help.DefaultStyles(hasDarkBackground),
	}
}

// NoColorStyles returns a theme without colour for NO_COLOR and monochrome
// terminals: emphasis is carried by bold, underline and reverse video, and
// every state is also spelled out as text.
func NoColorStyles() Styles {
	plain := lipgloss.NewStyle()
	bold := plain.Bold(true)
	return Styles{
		Title: bold, HeaderLabel: plain, HeaderValue: bold, Paused: bold.Reverse(true), Warning: bold,
		Rule: plain, ColumnHeader: bold.Underline(true), Selected: plain.Reverse(true), SelectedBlurred: plain.Underline(true),
		Muted: plain,
		States: StateStyles{
			Valid: plain, InWindow: plain, Refreshing: bold, Retrying: bold,
			Expired: bold, Aborted: bold, Failed: bold, Ended: plain,
		},
		BarEmpty: plain, BarMarker: bold,
		BadgeOK: bold, BadgeBad: bold.Reverse(true), BadgeNeutral: plain,
		ClaimKey:  plain,
		LaneValid: plain, LaneGap: plain, LaneOK: bold, LaneFailed: bold, LaneAborted: bold, LaneDisposed: bold,
		EventTime: plain, Prompt: bold, PromptKey: bold.Underline(true), Focused: bold.Underline(true),
		Help: help.Styles{
			Ellipsis: plain, ShortKey: bold, ShortDesc: plain, ShortSeparator: plain,
			FullKey: bold, FullDesc: plain, FullSeparator: plain,
		},
	}
}
