package credential

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// TokenPart names the part of a token that a ParseError is about.
type TokenPart string

// The parts of a JWT a ParseError can name.
const (
	PartSegments TokenPart = "segments" // not three dot-separated segments, or empty
	PartBase64   TokenPart = "base64"   // a segment is not base64url
	PartJSON     TokenPart = "JSON"     // the header or payload is not a JSON object
	PartExp      TokenPart = "exp"      // the exp claim is missing, not a number, or out of range
)

// ParseError reports a malformed token and says which part is wrong. It never
// includes the token itself.
type ParseError struct {
	// Part is the kind of fault.
	Part TokenPart
	// Segment is "header", "payload" or "signature" when one segment is at
	// fault, else empty.
	Segment string
	// Reason says what is wrong, in words.
	Reason string
	// Err is the decoder's error, if any.
	Err error

	what string // which token, e.g. "static token"; "" means "token"
}

// Error reads as a sentence: "credential: malformed token: <reason>[: <cause>]",
// naming the token when known ("malformed static token").
func (e *ParseError) Error() string {
	what := e.what
	if what == "" {
		what = "token"
	}
	s := "credential: malformed " + what + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the decoder's error, if any.
func (e *ParseError) Unwrap() error { return e.Err }

// maxExp is the last second of year 9999, the largest exp ParseJWT accepts.
const maxExp = 253402300799

// segmentBuf is the size of the stack buffer a segment is decoded into; a
// larger segment (rare: a payload with many claims) gets a heap buffer.
const segmentBuf = 1024

// ParseJWT reads a JWT's expiry from its "exp" claim (seconds since the Unix
// epoch; fractional seconds are accepted). It checks the token's shape (three
// base64url segments, JSON objects in header and payload) but not its
// signature. A malformed token yields a *ParseError.
func ParseJWT(raw string) (AccessToken, error) {
	return parseJWT(raw, true)
}

// parseJWT is ParseJWT; without needExp it checks the shape only and returns
// a zero ExpiresOn when the token has no exp claim.
//
// It runs for every token a refresher returns, so it does not use
// encoding/json: each segment is decoded into one reused buffer and the JSON
// is checked by scanJSON, which accepts and rejects what json.Unmarshal does
// (a differential fuzz test holds it to that).
func parseJWT(raw string, needExp bool) (AccessToken, error) {
	if raw == "" {
		return AccessToken{}, &ParseError{Part: PartSegments, Reason: "the token is empty"}
	}
	if n := segments(raw); n != 3 {
		return AccessToken{}, &ParseError{Part: PartSegments,
			Reason: fmt.Sprintf("a JWT has 3 dot-separated segments, this token has %d", n)}
	}
	header, rest, _ := strings.Cut(raw, ".")
	payload, signature, _ := strings.Cut(rest, ".")
	var stack [segmentBuf]byte
	buf := stack[:]
	if _, err := decodeObject(buf, "header", header); err != nil {
		return AccessToken{}, err
	}
	exp, err := decodeObject(buf, "payload", payload)
	if err != nil {
		return AccessToken{}, err
	}
	// Read exp now (the signature is decoded into the same buffer) but
	// report a fault in it only after the signature's.
	var expiresOn time.Time
	var expErr error
	if exp != nil || needExp {
		expiresOn, expErr = expiry(exp)
	}
	if _, err := decodeSegment(buf, "signature", signature); err != nil {
		return AccessToken{}, err
	}
	if expErr != nil {
		return AccessToken{}, expErr
	}
	return AccessToken{Token: raw, ExpiresOn: expiresOn}, nil
}

// decodeSegment decodes the base64url segment seg into buf, or into a new
// buffer when buf is too small.
func decodeSegment(buf []byte, name, seg string) ([]byte, error) {
	seg = strings.TrimRight(seg, "=")
	if n := base64.RawURLEncoding.DecodedLen(len(seg)); n > len(buf) {
		buf = make([]byte, n)
	}
	n, err := base64.RawURLEncoding.Decode(buf, []byte(seg))
	if err != nil {
		return nil, &ParseError{Part: PartBase64, Segment: name, Reason: "the " + name + " segment is not base64url", Err: err}
	}
	return buf[:n], nil
}

// decodeObject decodes the segment seg, checks that it is one JSON object and
// returns the text of its last top-level "exp" member (nil if none), which
// points into buf.
func decodeObject(buf []byte, name, seg string) (exp []byte, _ error) {
	b, err := decodeSegment(buf, name, seg)
	if err != nil {
		return nil, err
	}
	kind, exp, err := scanJSON(b)
	if err == nil && kind != '{' {
		err = errors.New("got " + kindName(kind))
	}
	if err != nil {
		return nil, &ParseError{Part: PartJSON, Segment: name, Reason: "the " + name + " is not a JSON object", Err: err}
	}
	return exp, nil
}

// expiry reads the exp claim's text (a JSON value) as seconds since 1970.
// It accepts what json.Unmarshal into a float64 accepts: a number that
// strconv.ParseFloat reads without overflow.
func expiry(raw []byte) (time.Time, error) {
	if raw == nil {
		return time.Time{}, &ParseError{Part: PartExp, Segment: "payload",
			Reason: `the payload has no "exp" claim, so the token's expiry is unknown`}
	}
	var secs float64
	isNumber := false
	if c := raw[0]; c == '-' || isDigit(c) {
		var err error
		secs, err = strconv.ParseFloat(string(raw), 64)
		isNumber = err == nil
	}
	if !isNumber {
		return time.Time{}, &ParseError{Part: PartExp, Segment: "payload",
			Reason: `the "exp" claim is not a number of seconds since 1970`}
	}
	if !(secs >= 0 && secs <= maxExp) { // NaN too
		// Say the claim as written ("1e300", not "1e+300"), unless long.
		text := string(raw)
		if len(text) > 24 {
			text = strconv.FormatFloat(secs, 'g', -1, 64)
		}
		return time.Time{}, &ParseError{Part: PartExp, Segment: "payload",
			Reason: `the "exp" claim ` + text + ` is out of range (0 to year 9999)`}
	}
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(math.Round(frac*1e9))).UTC(), nil
}

// parseNamed is ParseJWT with what naming the token in a *ParseError.
func parseNamed(raw, what string) (AccessToken, error) {
	tok, err := ParseJWT(raw)
	if pe, ok := err.(*ParseError); ok {
		pe.what = what
	}
	return tok, err
}

// segments counts a token's dot-separated segments.
func segments(raw string) int { return strings.Count(raw, ".") + 1 }

// maxJSONDepth is encoding/json's nesting limit; scanJSON keeps it so that
// both reject the same inputs.
const maxJSONDepth = 10000

// scanJSON checks that b holds exactly one JSON value (with optional
// whitespace around it), rejecting what json.Unmarshal rejects with the same
// message. It returns the value's first byte, which names its kind, and, when
// the value is an object, the text of its last top-level "exp" member (keys
// compared after unescaping, as json.Unmarshal into a map does).
func scanJSON(b []byte) (kind byte, exp []byte, err error) {
	var small [4]uint64 // nesting bits for 256 levels; deeper input grows it
	arrays := small[:]  // bit d set: nesting level d is an array, else an object
	depth := 0          // open objects and arrays
	i := 0
	isExp := false // the value being read is the top-level "exp" member
	expOpen := -1  // where an "exp" object or array starts, until it closes
value: // at the start of a value
	i = skipSpace(b, i)
	if i == len(b) {
		return 0, nil, errJSONEnd()
	}
	if depth == 0 {
		kind = b[i]
	}
	start := i
	switch c := b[i]; {
	case c == '{' || c == '[':
		if depth++; depth > maxJSONDepth {
			return 0, nil, errJSONChar(c, "exceeded max depth")
		}
		arrays = setNesting(arrays, depth, c == '[')
		i = skipSpace(b, i+1)
		if i == len(b) {
			return 0, nil, errJSONEnd()
		}
		if e := b[i]; c == '{' && e == '}' || c == '[' && e == ']' {
			i++
			depth--
			break
		}
		if isExp {
			expOpen, isExp = start, false
		}
		if c == '{' {
			goto key
		}
		goto value
	case c == '"':
		i, _, err = scanString(b, i+1, false)
	case c == '-' || isDigit(c):
		i, err = scanNumber(b, i)
	case c == 't':
		i, err = scanLiteral(b, i, "true")
	case c == 'f':
		i, err = scanLiteral(b, i, "false")
	case c == 'n':
		i, err = scanLiteral(b, i, "null")
	default:
		return 0, nil, errJSONChar(c, "looking for beginning of value")
	}
	if err != nil {
		return 0, nil, err
	}
	if isExp {
		exp, isExp = b[start:i], false
	}
end: // after a value
	i = skipSpace(b, i)
	if depth == 0 {
		if i < len(b) {
			return 0, nil, errJSONChar(b[i], "after top-level value")
		}
		return kind, exp, nil
	}
	if i == len(b) {
		return 0, nil, errJSONEnd()
	}
	switch c := b[i]; {
	case inArray(arrays, depth) && c == ',':
		i++
		goto value
	case inArray(arrays, depth) && c == ']', !inArray(arrays, depth) && c == '}':
		i++
		depth--
		if depth == 1 && expOpen >= 0 {
			exp, expOpen = b[expOpen:i], -1
		}
		goto end
	case inArray(arrays, depth):
		return 0, nil, errJSONChar(c, "after array element")
	case c == ',':
		i++
		goto key
	default:
		return 0, nil, errJSONChar(c, "after object key:value pair")
	}
key: // in an object, where a key must start
	i = skipSpace(b, i)
	if i == len(b) {
		return 0, nil, errJSONEnd()
	}
	if b[i] != '"' {
		return 0, nil, errJSONChar(b[i], "looking for beginning of object key string")
	}
	if i, isExp, err = scanString(b, i+1, depth == 1); err != nil {
		return 0, nil, err
	}
	i = skipSpace(b, i)
	if i == len(b) {
		return 0, nil, errJSONEnd()
	}
	if b[i] != ':' {
		return 0, nil, errJSONChar(b[i], "after object key")
	}
	i++
	goto value
}

// setNesting records in arrays whether nesting level depth is an array.
func setNesting(arrays []uint64, depth int, array bool) []uint64 {
	w, bit := depth/64, uint64(1)<<(depth%64)
	for w >= len(arrays) {
		arrays = append(arrays, 0)
	}
	if array {
		arrays[w] |= bit
	} else {
		arrays[w] &^= bit
	}
	return arrays
}

// inArray reports whether nesting level depth is an array.
func inArray(arrays []uint64, depth int) bool {
	return arrays[depth/64]&(1<<(depth%64)) != 0
}

// scanString reads a string whose opening quote is before b[i] and returns
// the index after its closing quote. With matchExp it reports whether the
// string, unescaped, is exp.
func scanString(b []byte, i int, matchExp bool) (next int, isExp bool, _ error) {
	const want = "exp"
	matched := 0 // bytes of want matched so far; -1 once it cannot match
	if !matchExp {
		matched = -1
	}
	for ; i < len(b); i++ {
		var r rune // the character read, if it could be in want
		switch c := b[i]; {
		case c >= 0x20 && c != '"' && c != '\\':
			if matched < 0 {
				continue // the common case: no need to know the character
			}
			r = rune(c)
		case c == '"':
			return i + 1, matched == len(want), nil
		case c < 0x20:
			return 0, false, errJSONChar(c, "in string literal")
		case at(b, i+1) == 'u':
			for k := i + 2; k < i+6; k++ {
				v, ok := unhex(at(b, k))
				if !ok {
					return 0, false, errJSONChar(at(b, k), "in \\u hexadecimal character escape")
				}
				r = r<<4 | v
			}
			i += 5
		default:
			switch c := at(b, i+1); c {
			case 'b', 'f', 'n', 'r', 't', '\\', '/', '"':
				r = -1 // none of these is in want
				i++
			default:
				return 0, false, errJSONChar(c, "in string escape code")
			}
		}
		if matched >= 0 && matched < len(want) && r == rune(want[matched]) {
			matched++
		} else {
			matched = -1
		}
	}
	return 0, false, errJSONEnd()
}

// scanNumber reads the number that starts at b[i] and returns the index
// after it.
func scanNumber(b []byte, i int) (int, error) {
	if b[i] == '-' {
		i++
		if c := at(b, i); !isDigit(c) {
			return 0, errJSONChar(c, "in numeric literal")
		}
	}
	if b[i] == '0' {
		i++
	} else {
		i = skipDigits(b, i)
	}
	if at(b, i) == '.' {
		i++
		if c := at(b, i); !isDigit(c) {
			return 0, errJSONChar(c, "after decimal point in numeric literal")
		}
		i = skipDigits(b, i)
	}
	if c := at(b, i); c == 'e' || c == 'E' {
		i++
		if c := at(b, i); c == '+' || c == '-' {
			i++
		}
		if c := at(b, i); !isDigit(c) {
			return 0, errJSONChar(c, "in exponent of numeric literal")
		}
		i = skipDigits(b, i)
	}
	return i, nil
}

// scanLiteral reads the literal lit (true, false or null) whose first byte
// is b[i] and returns the index after it.
func scanLiteral(b []byte, i int, lit string) (int, error) {
	for k := 1; k < len(lit); k++ {
		if c := at(b, i+k); c != lit[k] {
			return 0, errJSONChar(c, "in literal "+lit+" (expecting "+quoteChar(lit[k])+")")
		}
	}
	return i + len(lit), nil
}

// at returns b[i], or a space past the end: encoding/json reports a value
// cut off mid-token as if a space followed it.
func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return ' '
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func unhex(c byte) (rune, bool) {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0'), true
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10), true
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10), true
	}
	return 0, false
}

// errJSONChar and errJSONEnd word a syntax error as encoding/json does.
func errJSONChar(c byte, context string) error {
	return errors.New("invalid character " + quoteChar(c) + " " + context)
}

func errJSONEnd() error { return errors.New("unexpected end of JSON input") }

// quoteChar formats c as encoding/json does in its syntax errors.
func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

// kindName names a JSON value's kind by its first byte, for an error.
func kindName(first byte) string {
	switch first {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
