package report

import (
	"html/template"
	"strconv"
)

// How a run of rects says its opacity.
type opacityAttr int

const (
	opacityNever  opacityAttr = iota // the fill is opaque
	opacityAlways                    // fill-opacity on every rect
	opacityBelow1                    // fill-opacity only where it is under 1
)

// rectsHTML renders rects as SVG, one line each, as the page template
// would (html/template's escaping of the titles included), but without a
// reflective call per attribute: a report's lanes, chart and bands hold
// thousands of rects, and the template's calls allocated several times the
// page's size on every Write.
func rectsHTML(class string, opacity opacityAttr, rects []bandView) template.HTML {
	if len(rects) == 0 {
		return ""
	}
	b := make([]byte, 0, len(rects)*(160+len(class)))
	num := func(name string, v float64) {
		b = append(b, ' ')
		b = append(b, name...)
		b = append(b, `="`...)
		b = strconv.AppendFloat(b, v, 'f', 1, 64)
		b = append(b, '"')
	}
	for _, r := range rects {
		b = append(b, "<rect"...)
		if class != "" {
			b = append(b, ` class="`...)
			b = appendEscaped(b, class)
			b = append(b, '"')
		}
		num("x", r.X)
		num("y", r.Y)
		num("width", r.W)
		num("height", r.H)
		b = append(b, ` fill="`...)
		b = appendEscaped(b, r.Color)
		b = append(b, '"')
		if opacity == opacityAlways || opacity == opacityBelow1 && r.Opacity < 1 {
			b = append(b, ` fill-opacity="`...)
			b = strconv.AppendFloat(b, r.Opacity, 'g', -1, 64)
			b = append(b, '"')
		}
		b = append(b, "><title>"...)
		b = appendEscaped(b, r.Title)
		b = append(b, "</title></rect>\n"...)
	}
	return template.HTML(b)
}

// appendEscaped escapes s as html/template does in text, RCDATA (a
// <title>) and quoted attributes: NUL, quotes, &, +, < and >.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			b = append(b, "\uFFFD"...)
		case '"':
			b = append(b, "&#34;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '\'':
			b = append(b, "&#39;"...)
		case '+':
			b = append(b, "&#43;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// cellsHTML renders a table row's cells as the page template would, for
// the same reason as rectsHTML: a table of 500 sessions has 5,000 cells.
func cellsHTML(cells []cell) template.HTML {
	b := make([]byte, 0, len(cells)*40)
	for _, c := range cells {
		b = append(b, "<td"...)
		if c.Num {
			b = append(b, ` class="num"`...)
		}
		b = append(b, ` data-key="`...)
		b = appendEscaped(b, c.Key)
		b = append(b, `">`...)
		b = appendEscaped(b, c.Text)
		b = append(b, "</td>"...)
	}
	return template.HTML(b)
}
