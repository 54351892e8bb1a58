package credential

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
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

// ParseJWT reads a JWT's expiry from its "exp" claim (seconds since the Unix
// epoch; fractional seconds are accepted). It checks the token's shape (three
// base64url segments, JSON objects in header and payload) but not its
// signature. A malformed token yields a *ParseError.
func ParseJWT(raw string) (AccessToken, error) {
	return parseJWT(raw, true)
}

// parseJWT is ParseJWT; without needExp it checks the shape only and returns
// a zero ExpiresOn when the token has no exp claim.
func parseJWT(raw string, needExp bool) (AccessToken, error) {
	if raw == "" {
		return AccessToken{}, &ParseError{Part: PartSegments, Reason: "the token is empty"}
	}
	if n := strings.Count(raw, ".") + 1; n != 3 {
		return AccessToken{}, &ParseError{Part: PartSegments,
			Reason: fmt.Sprintf("a JWT has 3 dot-separated segments, this token has %d", n)}
	}
	header, rest, _ := strings.Cut(raw, ".")
	payload, signature, _ := strings.Cut(rest, ".")
	if _, err := decodeObject("header", header); err != nil {
		return AccessToken{}, err
	}
	claims, err := decodeObject("payload", payload)
	if err != nil {
		return AccessToken{}, err
	}
	if _, err := decodeSegment("signature", signature); err != nil {
		return AccessToken{}, err
	}
	if _, ok := claims["exp"]; !ok && !needExp {
		return AccessToken{Token: raw}, nil
	}
	exp, err := expiry(claims)
	if err != nil {
		return AccessToken{}, err
	}
	return AccessToken{Token: raw, ExpiresOn: exp}, nil
}

func decodeSegment(name, seg string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return nil, &ParseError{Part: PartBase64, Segment: name, Reason: "the " + name + " segment is not base64url", Err: err}
	}
	return b, nil
}

func decodeObject(name, seg string) (map[string]json.RawMessage, error) {
	b, err := decodeSegment(name, seg)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		if err == nil {
			err = fmt.Errorf("got null")
		}
		return nil, &ParseError{Part: PartJSON, Segment: name, Reason: "the " + name + " is not a JSON object", Err: err}
	}
	return obj, nil
}

func expiry(claims map[string]json.RawMessage) (time.Time, error) {
	raw, ok := claims["exp"]
	if !ok {
		return time.Time{}, &ParseError{Part: PartExp, Segment: "payload",
			Reason: `the payload has no "exp" claim, so the token's expiry is unknown`}
	}
	var secs float64
	if string(raw) == "null" || json.Unmarshal(raw, &secs) != nil {
		return time.Time{}, &ParseError{Part: PartExp, Segment: "payload",
			Reason: `the "exp" claim is not a number of seconds since 1970`}
	}
	if math.IsNaN(secs) || secs < 0 || secs > maxExp {
		return time.Time{}, &ParseError{Part: PartExp, Segment: "payload",
			Reason: fmt.Sprintf(`the "exp" claim %g is out of range (0 to year 9999)`, secs)}
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
