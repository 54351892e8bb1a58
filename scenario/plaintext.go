package scenario

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// checkPrintable reports why s cannot be printed as it is: invalid UTF-8, or
// a control character (a newline, a terminal escape such as ESC or CSI) or a
// bidirectional override, which could forge or hide lines in the headless
// text output and the UI. allow lists control characters that may stay
// (a description's newlines).
func checkPrintable(s string, allow ...rune) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not valid UTF-8; use printable text", s)
	}
	for _, r := range s {
		if (unicode.IsControl(r) || isBidiControl(r)) && !containsRune(allow, r) {
			return fmt.Errorf("%q holds the control character %U, which would reach the terminal; use printable characters", s, r)
		}
	}
	return nil
}

// isBidiControl reports the Unicode bidirectional embedding, override and
// isolate characters, which reorder how the rest of a line displays.
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f' || r == '\u061c'
}

func containsRune(list []rune, r rune) bool {
	for _, x := range list {
		if x == r {
			return true
		}
	}
	return false
}
