package credential

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// parseJWTEncodingJSON is parseJWT as it was before the JSON scanner: each
// segment decoded into a new buffer and each object decoded by encoding/json.
// It is the reference the scanner must agree with.
func parseJWTEncodingJSON(raw string, needExp bool) (AccessToken, error) {
	if raw == "" {
		return AccessToken{}, &ParseError{Part: PartSegments, Reason: "the token is empty"}
	}
	if n := strings.Count(raw, ".") + 1; n != 3 {
		return AccessToken{}, &ParseError{Part: PartSegments,
			Reason: fmt.Sprintf("a JWT has 3 dot-separated segments, this token has %d", n)}
	}
	header, rest, _ := strings.Cut(raw, ".")
	payload, signature, _ := strings.Cut(rest, ".")
	if _, err := decodeObjectEncodingJSON("header", header); err != nil {
		return AccessToken{}, err
	}
	claims, err := decodeObjectEncodingJSON("payload", payload)
	if err != nil {
		return AccessToken{}, err
	}
	if _, err := decodeSegmentEncodingJSON("signature", signature); err != nil {
		return AccessToken{}, err
	}
	if _, ok := claims["exp"]; !ok && !needExp {
		return AccessToken{Token: raw}, nil
	}
	exp, err := expiryEncodingJSON(claims)
	if err != nil {
		return AccessToken{}, err
	}
	return AccessToken{Token: raw, ExpiresOn: exp}, nil
}

func decodeSegmentEncodingJSON(name, seg string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return nil, &ParseError{Part: PartBase64, Segment: name, Reason: "the " + name + " segment is not base64url", Err: err}
	}
	return b, nil
}

func decodeObjectEncodingJSON(name, seg string) (map[string]json.RawMessage, error) {
	b, err := decodeSegmentEncodingJSON(name, seg)
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

func expiryEncodingJSON(claims map[string]json.RawMessage) (time.Time, error) {
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

// FuzzParseJWTAgreesWithEncodingJSON checks that parseJWT accepts and
// rejects exactly what the encoding/json reference does: the same token and
// expiry, or a *ParseError with the same Part, Segment and Reason and the same
// decoder message. Each input is tried as a whole token, as a token's payload
// and as its header, with and without needExp. Two differences are intended:
// a top-level value that is not an object is named ("got an array", not
// "json: cannot unmarshal array into Go value of type ..."), and an
// out-of-range exp is quoted as written ("1e300", not "1e+300").
func FuzzParseJWTAgreesWithEncodingJSON(f *testing.F) {
	for _, seed := range parseSeeds() {
		f.Add(seed)
	}
	enc := base64.RawURLEncoding.EncodeToString
	f.Fuzz(func(t *testing.T, s string) {
		for _, raw := range []string{
			s,
			mintJWTClaims(s),
			enc([]byte(s)) + "." + enc([]byte(`{"exp":1}`)) + "." + enc([]byte("sig")),
		} {
			checkAgreesWithEncodingJSON(t, raw, true)
			checkAgreesWithEncodingJSON(t, raw, false)
		}
	})
}

// TestParseJWTAgreesWithEncodingJSONAtTheDepthLimit checks nesting at and
// past encoding/json's limit of 10000 levels, as payload and as header.
func TestParseJWTAgreesWithEncodingJSONAtTheDepthLimit(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, depth := range []int{maxJSONDepth, maxJSONDepth + 1} {
		for _, level := range []struct{ open, close string }{{"[", "]"}, {`{"a":`, "}"}} {
			nested := `{"a":` + strings.Repeat(level.open, depth-1) + "1" + strings.Repeat(level.close, depth-1) + `,"exp":1}`
			for _, raw := range []string{
				mintJWTClaims(nested),
				enc([]byte(nested)) + "." + enc([]byte(`{"exp":1}`)) + "." + enc([]byte("sig")),
			} {
				checkAgreesWithEncodingJSON(t, raw, true)
				checkAgreesWithEncodingJSON(t, raw, false)
			}
		}
	}
}

func checkAgreesWithEncodingJSON(t *testing.T, raw string, needExp bool) {
	t.Helper()
	want, wantErr := parseJWTEncodingJSON(raw, needExp)
	got, gotErr := parseJWT(raw, needExp)
	if wantErr == nil || gotErr == nil {
		if wantErr != nil || gotErr != nil || got.Token != want.Token ||
			!got.ExpiresOn.Equal(want.ExpiresOn) || got.ExpiresOn.Location() != want.ExpiresOn.Location() {
			t.Fatalf("parseJWT(%q, %v) = %v, %v; encoding/json gives %v, %v",
				raw, needExp, got.ExpiresOn, gotErr, want.ExpiresOn, wantErr)
		}
		return
	}
	var wpe, gpe *ParseError
	if !errors.As(wantErr, &wpe) || !errors.As(gotErr, &gpe) {
		t.Fatalf("parseJWT(%q, %v): errors %v and %v, want *ParseErrors", raw, needExp, gotErr, wantErr)
	}
	wantReason, wantCause := wpe.Reason, causeText(wpe.Err)
	if gpe.Part == PartExp && strings.Contains(gpe.Reason, "out of range") {
		// Reword ours as the reference words it: %g of the claim as written.
		written := strings.TrimSuffix(strings.TrimPrefix(gpe.Reason, `the "exp" claim `), ` is out of range (0 to year 9999)`)
		if secs, err := strconv.ParseFloat(written, 64); err == nil {
			gpe = &ParseError{Part: gpe.Part, Segment: gpe.Segment, Err: gpe.Err,
				Reason: fmt.Sprintf(`the "exp" claim %g is out of range (0 to year 9999)`, secs)}
		}
	}
	if gpe.Part != wpe.Part || gpe.Segment != wpe.Segment || gpe.Reason != wantReason || causeText(gpe.Err) != wantCause {
		t.Fatalf("parseJWT(%q, %v):\n got  %s / %s / %q / %q\n want %s / %s / %q / %q", raw, needExp,
			gpe.Part, gpe.Segment, gpe.Reason, causeText(gpe.Err), wpe.Part, wpe.Segment, wantReason, wantCause)
	}
}

// causeText is a ParseError's Err as text, with encoding/json's "cannot
// unmarshal" message reworded as parseJWT words it.
func causeText(err error) string {
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &te):
		return "got " + map[string]string{"array": "an array", "string": "a string", "number": "a number", "bool": "a boolean"}[te.Value]
	}
	return err.Error()
}

// BenchmarkParseJWT compares the scanner with the encoding/json reference on
// a minimal token, a typical access token and one larger than the stack
// buffer.
func BenchmarkParseJWT(b *testing.B) {
	for _, tc := range []struct{ name, raw string }{
		{"minimal", mintJWT(time.Unix(1700000000, 0))},
		{"typical", typicalJWT()},
		{"large", largeJWT()},
	} {
		for _, impl := range []struct {
			name  string
			parse func(string, bool) (AccessToken, error)
		}{
			{"encoding-json", parseJWTEncodingJSON},
			{"scanner", parseJWT},
		} {
			b.Run(tc.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := impl.parse(tc.raw, true); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
