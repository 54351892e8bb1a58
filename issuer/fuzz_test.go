package issuer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParseTokenResponse checks that no response body, however malformed,
// panics the parser, and that whatever it accepts is a usable token.
func FuzzParseTokenResponse(f *testing.F) {
	in1h := testNow.Add(time.Hour)
	seeds := []string{
		`{"communicationIdentityToken":"` + jwtExpiring(in1h) + `","expiresOn":"2026-11-22T13:00:00Z"}`,
		`{"access_token":"opaque","token_type":"Bearer","expires_in":3600,"refresh_in":1800}`,
		`{"accessToken":"t","expiresOn":"2026-11-22 13:04:05.000000","expires_on":1795441445,"tokenType":"Bearer"}`,
		`{"identity":{"id":"8:acs:1"},"accessToken":{"token":"t","expiresOn":"2026-11-22T13:00:00Z"}}`,
		`{"error":{"code":"Unauthorized","message":"no"}}`,
		`{"token":"t","expires_in":"1e308"}`,
		`{"token":"t","expiresOn":-1}`,
		jwtExpiring(in1h),
		`"quoted"`,
		`<html></html>`,
		`[1,2]`,
		"",
		"a.b.c",
		`{"a":{"b":{"c":{"token":"x"}}}}`,
		"42", "null", `{"token":"t","expires_on":"0001-01-01T00:00:00Z"}`, `{"access_token":"t","expires_in":0.0001}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), "")
	}
	f.Add([]byte(`{"data":{"token":"t"}}`), "data.token")
	f.Add([]byte(`{"data":{"token":"t"}}`), "data")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		tok, err := parseTokenResponse(body, "", path, testNow)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if !isTokenText(tok.Token) {
			t.Fatalf("accepted token %q is not token text", tok.Token)
		}
		if trimmed := bytes.TrimSpace(body); json.Valid(trimmed) && trimmed[0] != '{' && trimmed[0] != '"' {
			t.Fatalf("accepted the JSON value %q as a token; a token must be a string", trimmed)
		}
		if !tok.ExpiresOn.IsZero() && !tok.ExpiresOn.After(testNow) {
			t.Fatalf("accepted a token expired at %v", tok.ExpiresOn)
		}
		if !tok.RefreshOn.IsZero() && tok.RefreshOn.Before(testNow) {
			t.Fatalf("RefreshOn %v is in the past", tok.RefreshOn)
		}
	})
}

// FuzzParseSpec checks that no spec panics the parser and that an error is
// always one line pointing to the valid specs.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"fake", "http://127.0.0.1:8080/getToken", "https://a/b?c=d#method=GET&token=x.y&header=A:b&body=%7B%7D",
		"oauth2:token_url=https://x/t,client_id=a,secret_env=S,scope=a b", "exec:az account get-access-token -o json",
		`exec:a "b \" c" 'd' e\ f`, "http://[::1]:80/#header_env=A:B", "oauth2:,,=", "exec:'", "http://%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseSpec(s)
		if err != nil {
			if !strings.HasSuffix(err.Error(), specHelpPointer) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line pointing to --help: %q", err)
			}
			return
		}
		if spec.Kind < KindFake || spec.Kind > KindExec {
			t.Fatalf("accepted spec with kind %v", spec.Kind)
		}
		if spec.Kind == KindExec && len(spec.Exec.Argv) == 0 {
			t.Fatal("accepted exec spec without a command")
		}
	})
}

// FuzzSplitArgsRoundTrip checks that words quoted the way a user would quote
// them split back into the same words.
func FuzzSplitArgsRoundTrip(f *testing.F) {
	f.Add("az", "account", "get-access-token")
	f.Add("my tool", `it's "quoted"`, `back\slash`)
	f.Add("", " ", "\t")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		words := []string{a, b, c}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		got, err := splitArgs(strings.Join(quoted, " "))
		if err != nil {
			t.Fatalf("splitArgs(%q): %v", strings.Join(quoted, " "), err)
		}
		if !slices.Equal(got, words) {
			t.Fatalf("split %s = %q, want %q", fmt.Sprint(quoted), got, words)
		}
	})
}

// FuzzExcerpt checks that an excerpt of any body is one short line and that
// redaction always ends.
func FuzzExcerpt(f *testing.F) {
	for _, s := range []string{"", "...", "a. b.. .c", "eyJa.b.c", "x\n\ty", strings.Repeat("Ab1", 300),
		"password=hunter2", `Authorization: Bearer x`, `"client_secret" : 'y'`, "token:", `key=\"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := excerpt(body)
		if strings.ContainsAny(got, "\n\r\t") || len(got) > 200+len("…") {
			t.Fatalf("excerpt = %q, want one line of at most 200 bytes", got)
		}
	})
}
