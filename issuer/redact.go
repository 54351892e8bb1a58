package issuer

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// redactedMark replaces a secret in any text an adapter reports.
const redactedMark = "[redacted]"

// redactor takes the secrets one adapter holds (a client secret, header_env
// values) out of the text it reports: its errors and the excerpts of
// response bodies and command stderr in them. It knows each secret in every
// form the adapter sends it (as is, URL-encoded, JSON-escaped, inside an
// HTTP Basic credential), so that a server echoing the request cannot make
// the adapter print the secret, whatever the secret's shape. A nil
// *redactor knows no secrets; its excerpts still hide token-shaped text and
// the values of credential-named keys (see excerpt).
type redactor struct {
	replacer *strings.Replacer // nil when there is nothing to replace
	longest  int               // the longest form, in bytes
}

// newRedactor returns a redactor for secrets, each in the forms secretForms
// lists. Empty secrets are ignored.
func newRedactor(secrets ...string) *redactor {
	var forms []string
	for _, s := range secrets {
		if s != "" {
			forms = append(forms, secretForms(s)...)
		}
	}
	if len(forms) == 0 {
		return nil
	}
	// Longest first: strings.Replacer tries its pairs in order at each
	// position, so a form that contains another is replaced whole.
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	forms = slices.Compact(forms)
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, redactedMark)
	}
	return &redactor{replacer: strings.NewReplacer(pairs...), longest: len(forms[0])}
}

// secretForms lists the texts under which s may come back from a server or
// a command: s itself, URL-encoded (form bodies and queries), JSON-escaped
// (a JSON body echoing the request), each also with its whitespace
// collapsed as an excerpt shows it.
func secretForms(s string) []string {
	forms := []string{s, url.QueryEscape(s), url.PathEscape(s)}
	if j, err := json.Marshal(s); err == nil {
		escaped := string(j[1 : len(j)-1])
		forms = append(forms, escaped, strings.ReplaceAll(escaped, "/", `\/`))
	}
	for _, f := range forms {
		if c, _ := collapse([]byte(f), len(f)); c != "" {
			forms = append(forms, c)
		}
	}
	return forms
}

// basicAuthForms lists the HTTP Basic credentials x/oauth2 sends for a
// client: base64 of "id:secret", each part URL-encoded first as x/oauth2 does
// (and not, for a server that re-encodes what it decoded).
func basicAuthForms(user, password string) []string {
	enc := base64.StdEncoding.EncodeToString
	return []string{
		enc([]byte(url.QueryEscape(user) + ":" + url.QueryEscape(password))),
		enc([]byte(user + ":" + password)),
	}
}

// headerSecrets lists the secrets a header value carries: the value itself,
// and for "Scheme credentials" (Bearer, Basic) the credentials alone, plus
// a Basic credential's decoded "user:password" and password.
func headerSecrets(value string) []string {
	secrets := []string{value}
	scheme, cred, ok := strings.Cut(strings.TrimSpace(value), " ")
	if !ok || !isNameText(scheme) {
		return secrets
	}
	cred = strings.TrimSpace(cred)
	secrets = append(secrets, cred)
	if strings.EqualFold(scheme, "basic") {
		if decoded, err := base64.StdEncoding.DecodeString(cred); err == nil {
			secrets = append(secrets, string(decoded))
			if _, password, ok := strings.Cut(string(decoded), ":"); ok {
				secrets = append(secrets, password)
			}
		}
	}
	return secrets
}

// redact replaces every known secret in s with [redacted].
func (r *redactor) redact(s string) string {
	if r == nil {
		return s
	}
	return r.replacer.Replace(s)
}

// error returns err with the known secrets taken out of its message; errors.Is
// and errors.As still see err and what it wraps.
func (r *redactor) error(err error) error {
	if r == nil || err == nil {
		return err
	}
	msg := err.Error()
	if red := r.redact(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

// redactedError is an error whose message had secrets taken out.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// excerpt returns the start of a body (a response, a command's stderr) on
// one line, for an error message, with the known secrets, anything that looks
// like a token and the value of any credential-named key (password=...,
// "client_secret": ..., X-Api-Key: ...) replaced by [redacted]: an error body
// can echo the credential that was sent.
func (r *redactor) excerpt(body []byte) string {
	const max = 200
	// Collapse more than max, so that a secret across the cut is still seen
	// whole by the redaction.
	longest := 0
	if r != nil {
		longest = r.longest
	}
	text, rest := collapse(body, 2*max+longest)
	text = redactTokens(redactAssignments(r.redact(text)))
	cut := len(text) > max
	if cut {
		text = text[:max]
		for !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	if cut || rest {
		text += "…"
	}
	return text
}

// excerpt is the excerpt of a redactor that knows no secrets.
func excerpt(body []byte) string { return (*redactor)(nil).excerpt(body) }

// secretKeySuffixes end the names of keys whose value is a secret: password,
// client_secret, X-Api-Key, access_token, accesskey (ACS connection strings),
// Authorization, Cookie.
var secretKeySuffixes = []string{
	"password", "passwd", "pwd", "secret", "apikey", "api_key", "api-key",
	"accesskey", "access_key", "access-key", "token", "authorization", "cookie",
}

// redactAssignments replaces the value in key=value, key: value and
// "key": "value" whenever the key names a credential. For Authorization the
// scheme is kept: "Authorization: Bearer [redacted]".
func redactAssignments(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if !isKeyChar(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && isKeyChar(s[j]) {
			j++
		}
		b.WriteString(s[i:j])
		key := strings.ToLower(s[i:j])
		i = j
		if !slices.ContainsFunc(secretKeySuffixes, func(suffix string) bool { return strings.HasSuffix(key, suffix) }) {
			continue
		}
		start, ok := valueStart(s, i)
		if !ok {
			continue
		}
		end := valueEnd(s, start)
		word := s[start:end]
		if isAuthScheme(word) && end+1 < len(s) && s[end] == ' ' && valueEnd(s, end+1) > end+1 {
			start, end = end+1, valueEnd(s, end+1) // keep the scheme, hide the credentials
		}
		b.WriteString(s[i:start])
		b.WriteString(redactedMark)
		i = end
	}
	return b.String()
}

// valueStart finds the value after a key: closing quotes (\" too), spaces,
// = or :, spaces, opening quotes. ok is false when no = or : follows, or the
// value is empty.
func valueStart(s string, i int) (int, bool) {
	i = skip(s, i, `"'\`)
	i = skip(s, i, " ")
	if i >= len(s) || (s[i] != '=' && s[i] != ':') {
		return 0, false
	}
	i = skip(s, i+1, " ")
	i = skip(s, i, `"'\`)
	return i, valueEnd(s, i) > i
}

func skip(s string, i int, chars string) int {
	for i < len(s) && strings.IndexByte(chars, s[i]) >= 0 {
		i++
	}
	return i
}

// valueEnd is the end of a value starting at i: the next space, quote,
// backslash or separator.
func valueEnd(s string, i int) int {
	for i < len(s) && strings.IndexByte(" \"'\\&,;<>(){}[]", s[i]) < 0 {
		i++
	}
	return i
}

func isKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// isAuthScheme says whether word is an HTTP authentication scheme, which an
// Authorization value starts with.
func isAuthScheme(word string) bool {
	switch strings.ToLower(word) {
	case "bearer", "basic", "digest", "negotiate", "ntlm", "hmac-sha256", "sharedkey", "token":
		return true
	}
	return false
}
