package tokencache

import (
	"fmt"
	"math"
	"unicode"
	"unicode/utf8"
)

// MinSecretLen is the shortest TOKENTOP_CACHE_KEY accepted, in characters.
const MinSecretLen = 32

// Bounds under which a TOKENTOP_CACHE_KEY is refused as too easy to guess.
// The entropy estimate of a short random key reads below its true entropy
// (a random 32-digit hex key, 128 bits, estimates about 117), so the bar is
// set where only keys with a visible pattern fall under it.
const (
	minSecretDistinct = 8
	minSecretBits     = 96
)

// goodSecret says how to make a key that passes.
const goodSecret = "use a random secret of at least 32 characters, such as the output of `openssl rand -base64 32`"

// checkSecret refuses a TOKENTOP_CACHE_KEY that is short or low in entropy:
// control characters, few distinct characters, a repeated pattern, or an
// entropy estimate under minSecretBits. It never quotes the key.
func checkSecret(secret string) error {
	runes := []rune(secret)
	if len(runes) < MinSecretLen {
		return fmt.Errorf("TOKENTOP_CACHE_KEY must be at least %d characters long (it has %d); %s", MinSecretLen, len(runes), goodSecret)
	}
	if why := weakness(runes); why != "" {
		return fmt.Errorf("TOKENTOP_CACHE_KEY is too easy to guess: %s; %s", why, goodSecret)
	}
	return nil
}

// weakness says what makes a key of at least MinSecretLen characters easy
// to guess, or returns "".
func weakness(runes []rune) string {
	counts := map[rune]int{}
	for i, r := range runes {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return fmt.Sprintf("character %d is a control character or not UTF-8", i+1)
		}
		counts[r]++
	}
	if len(counts) == 1 {
		return "it is one character repeated"
	}
	if len(counts) < minSecretDistinct {
		return fmt.Sprintf("it uses only %d different characters (at least %d are needed)", len(counts), minSecretDistinct)
	}
	p := period(runes)
	if p < len(runes)/2 {
		return fmt.Sprintf("it repeats a pattern of %d characters", p)
	}
	// Two estimates, the lower wins: each distinct character of the
	// pattern drawn from the classes it uses, and the character frequencies.
	bits := float64(p) * math.Log2(float64(poolSize(runes)))
	var shannon float64
	for _, c := range counts {
		q := float64(c) / float64(len(runes))
		shannon -= float64(c) * math.Log2(q)
	}
	if bits = min(bits, shannon); bits < minSecretBits {
		return fmt.Sprintf("it holds an estimated %.0f bits of entropy (at least %d are needed)", bits, minSecretBits)
	}
	return ""
}

// period is the length of the shortest pattern whose repetition (the last
// one possibly cut short) is s: len(s) for a string that does not repeat.
// It uses the prefix function, in linear time.
func period(s []rune) int {
	border := make([]int, len(s))
	for i := 1; i < len(s); i++ {
		k := border[i-1]
		for k > 0 && s[i] != s[k] {
			k = border[k-1]
		}
		if s[i] == s[k] {
			k++
		}
		border[i] = k
	}
	return len(s) - border[len(s)-1]
}

// poolSize is the number of characters in the classes s draws from: lower
// and upper case ASCII letters, digits, other printable ASCII, and the rest.
func poolSize(s []rune) int {
	var lower, upper, digit, ascii, other bool
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		case r < utf8.RuneSelf:
			ascii = true
		default:
			other = true
		}
	}
	n := 0
	for _, c := range []struct {
		in   bool
		size int
	}{{lower, 26}, {upper, 26}, {digit, 10}, {ascii, 33}, {other, 100}} {
		if c.in {
			n += c.size
		}
	}
	return n
}
