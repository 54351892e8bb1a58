package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
)

// paint is a text style reduced to the escape sequences around the text, so
// that the table's hundreds of cells per frame are styled by concatenation
// instead of a full lipgloss render. Only for styles without layout
// (padding, width, borders).
type paint struct{ pre, post string }

// paintOf captures st's escapes by rendering a probe character.
func paintOf(st lipgloss.Style) paint {
	const probe = "X"
	r := st.Render(probe)
	i := strings.Index(r, probe)
	if i < 0 {
		return paint{}
	}
	return paint{pre: r[:i], post: r[i+len(probe):]}
}

// Render wraps s in the paint's escapes.
func (p paint) Render(s string) string {
	if p.pre == "" && p.post == "" || s == "" {
		return s
	}
	return p.pre + s + p.post
}

// rowPaints are the paints the table rows and bars use.
type rowPaints struct {
	states                        [stateCount]paint
	muted, warning, empty, marker paint
}

func newRowPaints(s Styles) rowPaints {
	var p rowPaints
	for st := range p.states {
		p.states[st] = paintOf(state(st).style(s.States))
	}
	p.muted, p.warning = paintOf(s.Muted), paintOf(s.Warning)
	p.empty, p.marker = paintOf(s.BarEmpty), paintOf(s.BarMarker)
	return p
}
