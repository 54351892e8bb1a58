package issuer

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestRedactorReplacesEverySentFormOfASecret(t *testing.T) {
	const id, secret = "app", `p@ss w/rd+1&"x"`
	r := newRedactor(append([]string{secret}, basicAuthForms(id, secret)...)...)
	j, _ := json.Marshal(secret)
	forms := map[string]string{
		"as is":                secret,
		"form-encoded":         url.QueryEscape(secret),
		"path-encoded":         url.PathEscape(secret),
		"JSON-escaped":         string(j[1 : len(j)-1]),
		"Basic, as x/oauth2":   base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret))),
		"Basic, not escaped":   base64.StdEncoding.EncodeToString([]byte(id + ":" + secret)),
		"whitespace collapsed": strings.ReplaceAll(secret, " ", "\n\t "),
	}
	for name, form := range forms {
		text := "you sent client_id=app&client_secret " + form + " which is wrong"
		if got := r.excerpt([]byte(text)); strings.Contains(got, "ss w") || strings.Contains(got, "ss%20w") ||
			strings.Contains(got, "ss+w") || !strings.Contains(got, redactedMark) {
			t.Errorf("%s: excerpt(%q) = %q, want the secret redacted", name, text, got)
		}
	}
	err := r.error(errors.New("echo: " + secret))
	if err.Error() != "echo: [redacted]" {
		t.Errorf("error = %q, want the secret redacted", err)
	}
	var nilRedactor *redactor
	if got := nilRedactor.redact(secret); got != secret {
		t.Errorf("a redactor without secrets changed %q to %q", secret, got)
	}
}

func TestRedactorErrorKeepsTheWrappedErrorReachable(t *testing.T) {
	sentinel := errors.New("sentinel")
	err := newRedactor("hunter2").error(&StatusError{StatusCode: 401, Excerpt: "bad password hunter2"})
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 401 || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v, want a redacted message still reaching the *StatusError", err)
	}
	if wrapped := newRedactor("hunter2").error(errors.Join(sentinel, errors.New("hunter2"))); !errors.Is(wrapped, sentinel) {
		t.Errorf("errors.Is does not see through the redacted error %v", wrapped)
	}
}

func TestHeaderSecretsIncludeTheCredentialsAfterTheScheme(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("alice:open-sesame"))
	r := newRedactor(headerSecrets("Basic " + basic)...)
	for _, echo := range []string{"Basic " + basic, basic, "alice:open-sesame", "password open-sesame"} {
		if got := r.redact(echo); strings.Contains(got, "open-sesame") || strings.Contains(got, basic) {
			t.Errorf("redact(%q) = %q", echo, got)
		}
	}
	if got := newRedactor(headerSecrets("Bearer hunter2")...).redact("token hunter2"); got != "token [redacted]" {
		t.Errorf("redact = %q, want the bearer credential redacted alone too", got)
	}
}

// TestExcerptRedactsValuesOfCredentialNamedKeys pins the redaction that
// needs no known secret: a command's stderr or a body that echoes a request
// shows password=..., client_secret=..., X-Api-Key: ... whatever their shape.
func TestExcerptRedactsValuesOfCredentialNamedKeys(t *testing.T) {
	cases := map[string]string{
		"login failed: password=hunter2":                    "login failed: password=[redacted]",
		"client_id=app&client_secret=correct-horse-battery": "client_id=app&client_secret=[redacted]",
		`{"username":"bob","Password": "hunter2"}`:          `{"username":"bob","Password": "[redacted]"}`,
		`X-Api-Key: k3y-from-env; retry`:                    `X-Api-Key: [redacted]; retry`,
		"Authorization: Bearer hunter2 rejected":            "Authorization: Bearer [redacted] rejected",
		"Authorization: hunter2":                            "Authorization: [redacted]",
		"endpoint=https://x/;accesskey=c2VjcmV0":            "endpoint=https://x/;accesskey=[redacted]",
		`error \"db_password\":\"s\" leaked`:                `error \"db_password\":\"[redacted]\" leaked`,
		// Not credentials: left alone.
		"token_type=Bearer expires_in=5":    "token_type=Bearer expires_in=5",
		"the token expired; password reset": "the token expired; password reset",
		"password= (empty)":                 "password= (empty)",
	}
	for in, want := range cases {
		if got := excerpt([]byte(in)); got != want {
			t.Errorf("excerpt(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRedactor checks that a known secret never survives redaction in any
// of the forms the adapters send it, wherever it sits in a text, and that an
// excerpt stays one short line.
func FuzzRedactor(f *testing.F) {
	f.Add("correct-horse-battery-staple", "client_secret=", "&x=1")
	f.Add("p@ss w/rd+1", "Authorization: Basic ", "")
	f.Add("a", "aaa", "aaa")
	f.Add(`"\`, `{"s":"`, `"}`)
	f.Fuzz(func(t *testing.T, secret, before, after string) {
		if secret == "" || strings.Contains(redactedMark, secret) || strings.ContainsAny(secret, "[]") {
			t.Skip("the mark itself would contain the secret")
		}
		r := newRedactor(append([]string{secret}, basicAuthForms("app", secret)...)...)
		for _, form := range secretForms(secret) {
			got := r.redact(before + form + after)
			if strings.Contains(got, secret) && !strings.Contains(before+after, secret) {
				t.Fatalf("redact(%q) = %q still holds the secret %q", before+form+after, got, secret)
			}
		}
		ex := r.excerpt([]byte(before + secret + after))
		if strings.ContainsAny(ex, "\n\r\t") || len(ex) > 200+len("…") {
			t.Fatalf("excerpt = %q, want one line of at most 200 bytes", ex)
		}
	})
}
