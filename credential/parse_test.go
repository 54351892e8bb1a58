package credential

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseJWTReadsExpiryIncludingFractionalSeconds(t *testing.T) {
	for _, tc := range []struct {
		exp  string
		want time.Time
	}{
		{"1700000000", time.Unix(1700000000, 0)},
		{"1700000000.25", time.Unix(1700000000, 250_000_000)},
		{"1.7e9", time.Unix(1700000000, 0)},
		{"32503680000", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		tok, err := ParseJWT(mintJWTClaims(`{"exp":` + tc.exp + `}`))
		if err != nil {
			t.Fatalf("exp %s: %v", tc.exp, err)
		}
		if !tok.ExpiresOn.Equal(tc.want) {
			t.Errorf("exp %s: ExpiresOn = %v, want %v", tc.exp, tok.ExpiresOn, tc.want)
		}
	}
}

func TestParseErrorSaysWhichPartIsWrong(t *testing.T) {
	enc := func(s string) string { return mintJWTClaims(s) }
	good := strings.Split(mintJWTClaims(`{"exp":1}`), ".")
	for _, tc := range []struct {
		name, raw string
		part      TokenPart
		segment   string
		message   string
	}{
		{"empty", "", PartSegments, "", "the token is empty"},
		{"two segments", "a.b", PartSegments, "", "a JWT has 3 dot-separated segments, this token has 2"},
		{"four segments", "a.b.c.d", PartSegments, "", "this token has 4"},
		{"header not base64", "!!." + good[1] + "." + good[2], PartBase64, "header", "the header segment is not base64url"},
		{"payload not base64", good[0] + ".*." + good[2], PartBase64, "payload", "the payload segment is not base64url"},
		{"signature not base64", good[0] + "." + good[1] + ".$", PartBase64, "signature", "the signature segment is not base64url"},
		{"payload not JSON", good[0] + ".bm90IGpzb24." + good[2], PartJSON, "payload", "the payload is not a JSON object"},
		{"payload an array", enc(`[1]`), PartJSON, "payload", "the payload is not a JSON object"},
		{"payload null", enc(`null`), PartJSON, "payload", "the payload is not a JSON object"},
		{"no exp", enc(`{"sub":"x"}`), PartExp, "payload", `the payload has no "exp" claim`},
		{"exp a string", enc(`{"exp":"1700000000"}`), PartExp, "payload", `the "exp" claim is not a number`},
		{"exp null", enc(`{"exp":null}`), PartExp, "payload", `the "exp" claim is not a number`},
		{"exp negative", enc(`{"exp":-5}`), PartExp, "payload", "out of range"},
		{"exp huge", enc(`{"exp":1e300}`), PartExp, "payload", "out of range"},
		{"exp overflows float", enc(`{"exp":1e400}`), PartExp, "payload", `the "exp" claim is not a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJWT(tc.raw)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.Part != tc.part || pe.Segment != tc.segment {
				t.Errorf("Part, Segment = %q, %q; want %q, %q", pe.Part, pe.Segment, tc.part, tc.segment)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "credential: malformed token: ") || !strings.Contains(msg, tc.message) {
				t.Errorf("message %q does not say %q", msg, tc.message)
			}
		})
	}
}

func TestParseErrorNeverContainsTheToken(t *testing.T) {
	raw := mintJWTClaims(`{"sub":"secret-subject"}`)
	_, err := ParseJWT(raw)
	if err == nil || strings.Contains(err.Error(), "secret-subject") || strings.Contains(err.Error(), raw) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzParseJWT checks that ParseJWT never panics, that every failure is a
// *ParseError naming a known part, and that a success has three segments and
// an expiry in range. The seed corpus runs in every `go test`.
func FuzzParseJWT(f *testing.F) {
	for _, seed := range []string{
		"", ".", "..", "a.b.c", "a.b.c.d.e",
		mintJWTClaims(`{"exp":1700000000}`),
		mintJWTClaims(`{"exp":1700000000.5}`),
		mintJWTClaims(`{"exp":"x"}`),
		mintJWTClaims(`{"exp":null}`),
		mintJWTClaims(`{"exp":1e999}`),
		mintJWTClaims(`{"exp":-1}`),
		mintJWTClaims(`{}`),
		mintJWTClaims(`[]`),
		mintJWTClaims(`{"exp":253402300799}`),
		mintJWTClaims(`{"exp":253402300800}`),
		mintJWT(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)),
		"eyJhbGciOiJub25lIn0=.eyJleHAiOjF9.",
	} {
		f.Add(seed)
	}
	parts := map[TokenPart]bool{PartSegments: true, PartBase64: true, PartJSON: true, PartExp: true}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := ParseJWT(raw)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !parts[pe.Part] || pe.Reason == "" {
				t.Fatalf("ParseJWT(%q) = %v: want a *ParseError naming a part", raw, err)
			}
			return
		}
		if strings.Count(raw, ".") != 2 || tok.Token != raw {
			t.Fatalf("ParseJWT(%q) accepted a token that is not 3 segments", raw)
		}
		if tok.ExpiresOn.Before(time.Unix(0, 0)) || tok.ExpiresOn.After(time.Unix(maxExp+1, 0)) {
			t.Fatalf("ParseJWT(%q) expiry %v out of range", raw, tok.ExpiresOn)
		}
	})
}
