package issuer

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func jwtExpiring(exp time.Time) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"ES256"}`)) + "." +
		enc.EncodeToString([]byte(fmt.Sprintf(`{"exp":%d}`, exp.Unix()))) + "." + enc.EncodeToString([]byte("sig"))
}

func TestParseTokenResponseReadsEachExpiryForm(t *testing.T) {
	in1h := testNow.Add(time.Hour)
	localAz := in1h.In(time.Local).Format("2006-01-02 15:04:05.000000")
	cases := []struct {
		name, body, path string
		wantExp, wantRef time.Time
	}{
		{"expires_in number", `{"access_token":"t","expires_in":3600}`, "", in1h, time.Time{}},
		{"expires_in string", `{"access_token":"t","expires_in":"3600"}`, "", in1h, time.Time{}},
		{"expiresIn", `{"token":"t","expiresIn":3600}`, "", in1h, time.Time{}},
		{"expiresOn RFC 3339", `{"token":"t","expiresOn":"2026-11-22T13:00:00Z"}`, "", in1h, time.Time{}},
		{"expiresOn RFC 3339 with offset and fraction", `{"token":"t","expiresOn":"2026-11-22T14:00:00.000+01:00"}`, "", in1h, time.Time{}},
		{"expiresOn epoch number", fmt.Sprintf(`{"token":"t","expiresOn":%d}`, in1h.Unix()), "", in1h, time.Time{}},
		{"expiresOn epoch milliseconds", fmt.Sprintf(`{"token":"t","expiresOn":%d}`, in1h.UnixMilli()), "", in1h, time.Time{}},
		{"expires_on epoch string", fmt.Sprintf(`{"accessToken":"t","expires_on":"%d"}`, in1h.Unix()), "", in1h, time.Time{}},
		{"Azure CLI local expiresOn", fmt.Sprintf(`{"accessToken":"t","expiresOn":%q}`, localAz), "", in1h, time.Time{}},
		{"expires_on wins over a local expiresOn", fmt.Sprintf(`{"accessToken":"t","expiresOn":"1999-01-01 00:00:00.000000","expires_on":%d}`, in1h.Unix()), "", in1h, time.Time{}},
		{"refresh_in", `{"access_token":"t","expires_in":3600,"refresh_in":1800}`, "", in1h, testNow.Add(30 * time.Minute)},
		{"ACS REST nested accessToken", `{"identity":{"id":"8:acs:1"},"accessToken":{"token":"t","expiresOn":"2026-11-22T13:00:00Z"}}`, "", in1h, time.Time{}},
		{"token path naming an object", `{"result":{"accessToken":"t","expires_in":3600}}`, "result", in1h, time.Time{}},
		{"JWT exp when no field", fmt.Sprintf(`{"communicationIdentityToken":%q}`, jwtExpiring(in1h)), "", in1h, time.Time{}},
		{"bare JWT", jwtExpiring(in1h) + "\n", "", in1h, time.Time{}},
		{"JSON string JWT", fmt.Sprintf("%q", jwtExpiring(in1h)), "", in1h, time.Time{}},
		{"opaque", `opaque-123`, "", time.Time{}, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := parseTokenResponse([]byte(tc.body), "", tc.path, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if !tok.ExpiresOn.Equal(tc.wantExp) || !tok.RefreshOn.Equal(tc.wantRef) {
				t.Errorf("ExpiresOn %v RefreshOn %v, want %v and %v", tok.ExpiresOn, tok.RefreshOn, tc.wantExp, tc.wantRef)
			}
		})
	}
}

func TestParseTokenResponseRejectsBadInputWithAReason(t *testing.T) {
	cases := map[string]string{
		`{"token":"t","expiresOn":"tomorrow"}`:                         `field "expiresOn": "tomorrow" is not a time`,
		`{"token":"t","expires_in":-5}`:                                `field "expires_in": -5 seconds is out of range`,
		`{"token":"t","expires_in":1e300}`:                             "out of range",
		`{"token":"t","expires_on":1e30}`:                              "out of range for epoch seconds",
		`{"token":"t","expires_in":true}`:                              "is a boolean; want a number of seconds",
		`{"token":"t","refresh_in":"soon"}`:                            `field "refresh_in": "soon" is not a number of seconds`,
		`{"token":"has space"}`:                                        "not a token",
		`{"token":42}`:                                                 `field "token" is a number, not a string`,
		`{"user":"u"}`:                                                 `no token field "communicationIdentityToken" or "access_token" or "accessToken" or "token" (fields seen: user)`,
		`{"error":"invalid_grant","error_description":"expired code"}`: "response is an error, not a token: invalid_grant: expired code",
		`[{"token":"t"}]`:                                              "JSON array",
		"two words":                                                    "neither JSON nor a single token",
		`{"token":"t","expires_in":3600`:                               "not valid JSON",
		`{"token":"t","expires_in":0}`:                                 "0 seconds is under a second",
		`{"token":"t","expires_on":0}`:                                 "token expired at",
	}
	for body, want := range cases {
		_, err := parseTokenResponse([]byte(body), "", "", testNow)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parse %s: err = %v, want it to contain %q", body, err, want)
		}
	}
}

func TestParseTokenResponseTokenPathErrorsNameThePath(t *testing.T) {
	cases := map[string]string{
		`{"data":{"tok":"t"}}`:    `no token field "data.token" (fields seen: data.tok)`,
		`{"data":"t"}`:            `field "data" is a string, not an object`,
		`{"data":{"token":5}}`:    `field "data.token" is a number, not a string`,
		`{"data":{"token":null}}`: `field "data.token" is null`,
	}
	for body, want := range cases {
		_, err := parseTokenResponse([]byte(body), "", "data.token", testNow)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parse %s: err = %v, want it to contain %q", body, err, want)
		}
	}
}

func TestParseTokenResponseChecksJWTShapeEvenWithAnExpiryField(t *testing.T) {
	enc := base64.RawURLEncoding
	noExp := enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString([]byte(`{"sub":"a"}`)) + ".sig"
	tok, err := parseTokenResponse([]byte(`{"token":"`+noExp+`","expires_in":60}`), "", "", testNow)
	if err != nil || !tok.ExpiresOn.Equal(testNow.Add(time.Minute)) {
		t.Errorf("a JWT without exp but with expires_in: %+v, %v; want it accepted with the field's expiry", tok, err)
	}
	if _, err := parseTokenResponse([]byte(`{"token":"`+noExp+`"}`), "", "", testNow); err == nil || !strings.Contains(err.Error(), `no "exp" claim`) {
		t.Errorf("a JWT without exp and no expiry field: err = %v, want the missing exp named", err)
	}
	bad := `{"token":"eyJhbGciOiJub25lIn0.!not-base64!.sig","expiresOn":"2026-11-22T13:00:00Z"}`
	if _, err := parseTokenResponse([]byte(bad), "", "", testNow); err == nil || !strings.Contains(err.Error(), "not base64url") {
		t.Errorf("a malformed JWT with an expiresOn: err = %v, want it rejected", err)
	}
}

func TestExcerptIsOneShortLine(t *testing.T) {
	got := excerpt([]byte("line one\n\tline\x00two  " + strings.Repeat("z", 500)))
	if strings.ContainsAny(got, "\n\t\x00") || !strings.HasPrefix(got, "line one line two zz") || !strings.HasSuffix(got, "…") || len(got) > 210 {
		t.Errorf("excerpt = %q", got)
	}
	if got := excerpt([]byte("short\n")); got != "short" {
		t.Errorf("excerpt(short) = %q, want no ellipsis", got)
	}
}

// BenchmarkParseTokenResponse measures reading an app server's JSON reply,
// JWT expiry check included.
func BenchmarkParseTokenResponse(b *testing.B) {
	body := []byte(fmt.Sprintf(`{"communicationIdentityToken":%q,"expiresOn":"2026-11-22T13:00:00Z","communicationUserId":"8:acs:1"}`,
		jwtExpiring(testNow.Add(time.Hour))))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseTokenResponse(body, "application/json", "", testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseTokenResponseNeverEchoesABodyThatMayHoldAToken pins that a body
// that is not a usable token is described by its shape, never quoted: it may
// be a token with a stray word or wrapped in a page or an array.
func TestParseTokenResponseNeverEchoesABodyThatMayHoldAToken(t *testing.T) {
	const secret = "OPAQUE-SECRET-TOKEN-1234567890"
	cases := []struct{ body, contentType, want string }{
		{"Bearer " + secret, "text/plain", "neither JSON nor a single token (37 bytes, 1 line, 2 words, text/plain)"},
		{`"Bearer ` + secret + `"`, "", "neither JSON nor a single token (37 bytes, 1 line, 2 words)"},
		{`["` + secret + `"]`, "application/json", "JSON array (34 bytes, 1 line, 1 word, application/json)"},
		{`["` + secret + `"`, "", "JSON array"},
		{"<html><head><title>Sign in</title></head><body>" + secret + "</body></html>", "text/html", `response is HTML "Sign in", not a token`},
		{"<p>" + secret + "</p>", "", "response is HTML, not a token (37 bytes"},
		{`"` + secret, "", "not valid JSON (31 bytes"},
	}
	for _, tc := range cases {
		_, err := parseTokenResponse([]byte(tc.body), tc.contentType, "", testNow)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parse %q: err = %v, want it to contain %q", tc.body, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("parse %q: error echoes the body: %v", tc.body, err)
		}
	}
}

func TestExcerptRedactsJWTsAndLongOpaqueTokensButKeepsWordsAndIDs(t *testing.T) {
	jwt := jwtExpiring(testNow)
	cases := map[string]string{
		"invalid token " + jwt + ".":                            "invalid token [redacted].",
		"bad key sk_live_4eC39HqLyjWDarjtT1zdp7dc, try again":   "bad key [redacted], try again",
		"Bearer abc+def/ghi123456789012345678901234567890==":    "Bearer abc+def/[redacted]",
		"request 0f8fad5b-d9cb-469f-a165-70867728950e failed":   "request 0f8fad5b-d9cb-469f-a165-70867728950e failed",
		"AuthenticationFailedInvalidSignatureOnTheToken (401).": "AuthenticationFailedInvalidSignatureOnTheToken (401).",
		"at 2026-11-22T13:04:05.000000Z ... see /v1/path":       "at 2026-11-22T13:04:05.000000Z ... see /v1/path",
	}
	for in, want := range cases {
		if got := excerpt([]byte(in)); got != want {
			t.Errorf("excerpt(%q) = %q, want %q", in, got, want)
		}
	}
	// A token that straddles the 200-byte cut is still redacted.
	long := strings.Repeat("a ", 98) + jwt
	if got := excerpt([]byte(long)); strings.Contains(got, "eyJ") || !strings.HasSuffix(got, "…") {
		t.Errorf("excerpt of a token across the cut = %q", got)
	}
}

// TestParseTokenResponseRefusesAYearOneExpiry pins that a zero expiry
// (Go's and .NET's default date) is an error, not "no expiry": it used to
// leave ExpiresOn zero, so that the credential took the token as opaque.
func TestParseTokenResponseRefusesAYearOneExpiry(t *testing.T) {
	for _, body := range []string{
		`{"token":"opaque","expires_on":"0001-01-01T00:00:00Z"}`,
		fmt.Sprintf(`{"token":%q,"expiresOn":"0001-01-01T00:00:00Z"}`, jwtExpiring(testNow.Add(time.Hour))),
		`{"accessToken":"opaque","expiresOn":"0001-01-01 00:00:00.000000"}`,
		`{"token":"opaque","expiresOn":"1969-12-31T23:59:59Z"}`,
	} {
		_, err := parseTokenResponse([]byte(body), "", "", testNow)
		if err == nil || !strings.Contains(err.Error(), "before 1970, not an expiry") {
			t.Errorf("parse %s: err = %v, want the date refused as before 1970", body, err)
		}
	}
}

// TestParseTokenResponseRefusesABareJSONValueThatIsNotAString pins that a
// body of 42, true or null is not taken as a token.
func TestParseTokenResponseRefusesABareJSONValueThatIsNotAString(t *testing.T) {
	for _, body := range []string{"42", " -1.5e3\n", "true", "null"} {
		_, err := parseTokenResponse([]byte(body), "application/json", "", testNow)
		if err == nil || !strings.Contains(err.Error(), "a token must be a string") {
			t.Errorf("parse %q: err = %v, want it refused as not a string", body, err)
		}
	}
	// A plain-text opaque token that merely starts with a digit stays a token.
	if tok, err := parseTokenResponse([]byte("42abc"), "text/plain", "", testNow); err != nil || tok.Token != "42abc" {
		t.Errorf("parse 42abc: %q, %v; want the bare token", tok.Token, err)
	}
}

// TestParseTokenResponseRefusesExpiresInUnderASecond pins that expires_in
// must be at least one second; a fraction above it is rounded down.
func TestParseTokenResponseRefusesExpiresInUnderASecond(t *testing.T) {
	for _, v := range []string{"0.0001", "0", `"0.5"`, "1e-9"} {
		body := `{"access_token":"opaque","expires_in":` + v + `}`
		_, err := parseTokenResponse([]byte(body), "", "", testNow)
		if err == nil || !strings.Contains(err.Error(), `field "expires_in"`) || !strings.Contains(err.Error(), "under a second") {
			t.Errorf("parse %s: err = %v, want expires_in refused as under a second", body, err)
		}
	}
	tok, err := parseTokenResponse([]byte(`{"access_token":"opaque","expires_in":3599.9}`), "", "", testNow)
	if err != nil || !tok.ExpiresOn.Equal(testNow.Add(3599*time.Second)) {
		t.Errorf("expires_in 3599.9: %v, %v; want now+3599s", tok.ExpiresOn, err)
	}
}
