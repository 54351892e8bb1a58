package issuer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"tokentop/credential"
)

// defaultTokenFields are the JSON fields that can hold the token, in the order
// they are tried: the ACS sample app server, OAuth2, the Azure CLI and the ACS
// identity REST API.
var defaultTokenFields = []string{"communicationIdentityToken", "access_token", "accessToken", "token"}

// absoluteExpiryFields hold an instant; the epoch form comes first because
// the Azure CLI's expiresOn is in local time without a zone.
var absoluteExpiryFields = []string{"expires_on", "expiresOn", "expires_at", "expiresAt"}

// relativeExpiryFields hold seconds from now.
var relativeExpiryFields = []string{"expires_in", "expiresIn"}

// azureCLITimeLayout is the Azure CLI's expiresOn: local time, no zone.
const azureCLITimeLayout = "2006-01-02 15:04:05.999999"

// maxEpochSeconds is the end of year 9999, the last instant RFC 3339 can say.
const maxEpochSeconds = 253402300799

// parseTokenResponse reads a token from a response body or command output:
// a JSON object (the token at tokenPath, a dotted path, or at one of the
// default fields), a JSON string, or a bare token. contentType may be empty.
// now resolves relative expiries and rejects a token that has already expired.
func parseTokenResponse(body []byte, contentType, tokenPath string, now time.Time) (credential.AccessToken, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return credential.AccessToken{}, errors.New("empty response; expected a JSON object holding a token, or a bare token")
	}
	// A body that is not a token may still hold one (a token with a stray
	// word, an array of tokens): errors describe its shape, never its text.
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mediaType == "text/html" || trimmed[0] == '<':
		return credential.AccessToken{}, fmt.Errorf("response is HTML%s, not a token (%s); check the URL and path", htmlTitle(trimmed), shapeOf(trimmed, contentType))
	case trimmed[0] == '{':
		return parseTokenObject(trimmed, tokenPath, now)
	case trimmed[0] == '"':
		var raw string
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return credential.AccessToken{}, fmt.Errorf("response is not valid JSON (%s)", shapeOf(trimmed, contentType))
		}
		return bareToken(raw, contentType, now)
	case trimmed[0] == '[':
		return credential.AccessToken{}, fmt.Errorf("response is a JSON array (%s); expected an object holding a token", shapeOf(trimmed, contentType))
	case json.Valid(trimmed):
		// 42, true, null: JSON, but a token must be a string.
		return credential.AccessToken{}, fmt.Errorf("response is a JSON %s (%s), not a token: a token must be a string; expected an object holding a token, or a bare token",
			jsonScalarKind(trimmed), shapeOf(trimmed, contentType))
	}
	return bareToken(string(trimmed), contentType, now)
}

// jsonScalarKind names the kind of a valid JSON value that is not an
// object, array or string.
func jsonScalarKind(v []byte) string {
	switch v[0] {
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// bareToken takes a whole response as the token. Its expiry comes from the
// JWT exp claim, or stays zero for an opaque token.
func bareToken(raw, contentType string, now time.Time) (credential.AccessToken, error) {
	if !isTokenText(raw) {
		return credential.AccessToken{}, fmt.Errorf("response is neither JSON nor a single token (%s); expected a JSON object holding a token, or a bare token", shapeOf([]byte(raw), contentType))
	}
	return finishToken(credential.AccessToken{Token: raw}, now)
}

// shapeOf describes a body without quoting it: its size, lines, words and
// content type.
func shapeOf(body []byte, contentType string) string {
	lines := bytes.Count(body, []byte("\n")) + 1
	words := len(bytes.Fields(body))
	shape := fmt.Sprintf("%d bytes, %s, %s", len(body), plural(lines, "line"), plural(words, "word"))
	if mediaType, _, err := mime.ParseMediaType(contentType); err == nil {
		shape += ", " + mediaType
	}
	return shape
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// htmlTitle returns ` "Title"` for a page with a <title>, which says what the
// page is (a sign-in page, a proxy's error) without quoting its body.
func htmlTitle(page []byte) string {
	lower := bytes.ToLower(page)
	start := bytes.Index(lower, []byte("<title"))
	if start < 0 {
		return ""
	}
	open := bytes.IndexByte(lower[start:], '>')
	if open < 0 {
		return ""
	}
	start += open + 1
	end := bytes.Index(lower[start:], []byte("</title"))
	if end < 0 {
		return ""
	}
	title := excerpt(page[start : start+min(end, 80)])
	if title == "" {
		return ""
	}
	return fmt.Sprintf(" %q", title)
}

// isTokenText says whether s can be a bearer token: printable ASCII, no spaces.
func isTokenText(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func parseTokenObject(body []byte, tokenPath string, now time.Time) (credential.AccessToken, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return credential.AccessToken{}, fmt.Errorf("response is not valid JSON: %w", err)
	}
	raw, holder, err := findToken(obj, tokenPath)
	if err != nil {
		if reported := reportedError(nil, obj); reported != "" {
			return credential.AccessToken{}, fmt.Errorf("response is an error, not a token: %s", reported)
		}
		return credential.AccessToken{}, err
	}
	if !isTokenText(raw) {
		return credential.AccessToken{}, fmt.Errorf("token field is not a token (empty, or has spaces or control characters)")
	}
	tok := credential.AccessToken{Token: raw}
	if tok.ExpiresOn, err = expiryOf(holder, now); err != nil {
		return credential.AccessToken{}, err
	}
	if tok.RefreshOn, err = refreshOnOf(holder, now); err != nil {
		return credential.AccessToken{}, err
	}
	return finishToken(tok, now)
}

// findToken returns the token and the object holding it, whose other fields
// carry its expiry.
func findToken(obj map[string]any, tokenPath string) (string, map[string]any, error) {
	if tokenPath != "" {
		return findTokenAt(obj, tokenPath)
	}
	return findDefaultToken(obj, 0)
}

func findTokenAt(obj map[string]any, tokenPath string) (string, map[string]any, error) {
	parts := strings.Split(tokenPath, ".")
	last := len(parts) - 1
	holder := obj
	for i, part := range parts[:last] {
		v, ok := holder[part]
		if !ok {
			return "", nil, &MissingTokenError{Wanted: []string{tokenPath}, Seen: fieldNames(holder, strings.Join(parts[:i], "."))}
		}
		inner, ok := v.(map[string]any)
		if !ok {
			return "", nil, fmt.Errorf("field %q is %s, not an object", strings.Join(parts[:i+1], "."), withArticle(jsonKind(v)))
		}
		holder = inner
	}
	switch v := holder[parts[last]].(type) {
	case string:
		return v, holder, nil
	case map[string]any:
		// The path names an object: the token is one of its default fields.
		return findDefaultToken(v, 1)
	case nil:
		if _, ok := holder[parts[last]]; !ok {
			return "", nil, &MissingTokenError{Wanted: []string{tokenPath}, Seen: fieldNames(holder, strings.Join(parts[:last], "."))}
		}
		return "", nil, fmt.Errorf("field %q is null, not a token", tokenPath)
	default:
		return "", nil, fmt.Errorf("field %q is %s, not a string", tokenPath, withArticle(jsonKind(v)))
	}
}

// findDefaultToken looks for the default token fields, one level into a
// nested object too (the ACS REST API's {"accessToken": {"token", "expiresOn"}}).
func findDefaultToken(obj map[string]any, depth int) (string, map[string]any, error) {
	for _, name := range defaultTokenFields {
		switch v := obj[name].(type) {
		case string:
			return v, obj, nil
		case map[string]any:
			if depth < 2 {
				if raw, holder, err := findDefaultToken(v, depth+1); err == nil {
					return raw, holder, nil
				}
			}
		}
	}
	for _, name := range defaultTokenFields {
		if v, ok := obj[name]; ok {
			if _, isObject := v.(map[string]any); !isObject {
				return "", nil, fmt.Errorf("field %q is %s, not a string", name, withArticle(jsonKind(v)))
			}
		}
	}
	return "", nil, &MissingTokenError{Wanted: defaultTokenFields, Seen: fieldNames(obj, "")}
}

func withArticle(kind string) string {
	switch kind {
	case "null":
		return "null"
	case "array", "object":
		return "an " + kind
	}
	return "a " + kind
}

// reportedError reads an error the server put in a JSON body: OAuth2's
// {"error", "error_description"} or ACS's {"error": {"code", "message"}}.
// Code and text are excerpted apart, so that "invalid_token: ..." does not
// read as a credential-named key and its value.
func reportedError(r *redactor, obj map[string]any) string {
	var code, msg string
	switch e := obj["error"].(type) {
	case string:
		code = e
		msg, _ = obj["error_description"].(string)
	case map[string]any:
		code, _ = e["code"].(string)
		msg, _ = e["message"].(string)
	}
	return joinExcerpts(r, code, msg)
}

// joinExcerpts is "code: text", each part excerpted, either part omitted
// when empty.
func joinExcerpts(r *redactor, code, text string) string {
	parts := make([]string, 0, 2)
	for _, p := range []string{code, text} {
		if e := r.excerpt([]byte(p)); e != "" {
			parts = append(parts, e)
		}
	}
	return strings.Join(parts, ": ")
}

func fieldNames(obj map[string]any, prefix string) []string {
	names := make([]string, 0, len(obj))
	for k := range obj {
		if prefix != "" {
			k = prefix + "." + k
		}
		names = append(names, excerpt([]byte(k)))
	}
	slices.Sort(names)
	if len(names) > 20 {
		names = append(names[:20], fmt.Sprintf("and %d more", len(names)-20))
	}
	return names
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// expiryOf reads the token's expiry from the fields beside it; zero if none.
func expiryOf(holder map[string]any, now time.Time) (time.Time, error) {
	for _, name := range absoluteExpiryFields {
		if v, ok := holder[name]; ok {
			t, err := parseInstant(v)
			if err != nil {
				return time.Time{}, fmt.Errorf("field %q: %w", name, err)
			}
			return t, nil
		}
	}
	for _, name := range relativeExpiryFields {
		if v, ok := holder[name]; ok {
			d, err := parseLifetime(v)
			if err != nil {
				return time.Time{}, fmt.Errorf("field %q: %w", name, err)
			}
			return now.Add(d), nil
		}
	}
	return time.Time{}, nil
}

// refreshOnOf reads an OAuth2 refresh_in hint; zero if none.
func refreshOnOf(holder map[string]any, now time.Time) (time.Time, error) {
	v, ok := holder["refresh_in"]
	if !ok {
		return time.Time{}, nil
	}
	d, err := parseSeconds(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("field %q: %w", "refresh_in", err)
	}
	return now.Add(d), nil
}

// scalarText is the text of a JSON number or string, as an expiry field may
// hold either.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case json.Number:
		return v.String(), true
	case float64: // from a decoder without UseNumber, such as x/oauth2's
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case string:
		return strings.TrimSpace(v), true
	}
	return "", false
}

// parseInstant reads epoch seconds (or milliseconds, when the number is too
// large to be seconds), RFC 3339, or the Azure CLI's local time.
func parseInstant(v any) (time.Time, error) {
	s, ok := scalarText(v)
	if !ok {
		return time.Time{}, fmt.Errorf("is %s; want epoch seconds or an RFC 3339 time", withArticle(jsonKind(v)))
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return epoch(f, s)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return checkInstant(t, s)
	}
	if t, err := time.ParseInLocation(azureCLITimeLayout, s, time.Local); err == nil {
		return checkInstant(t, s)
	}
	return time.Time{}, fmt.Errorf("%q is not a time; want epoch seconds, RFC 3339 (2026-11-22T13:04:05Z) or 2026-11-22 13:04:05.000000 (local)", excerpt([]byte(s)))
}

// checkInstant refuses a date before the Unix epoch: no token expired then,
// and 0001-01-01 is the zero date of Go and .NET, which a server sends when
// it never set the expiry. Taken as "no expiry" it would make a JWT's
// credential fall back to the exp claim, or an opaque token live the
// credential's default lifetime, without a word.
func checkInstant(t time.Time, text string) (time.Time, error) {
	if t.Before(time.Unix(0, 0)) {
		return time.Time{}, fmt.Errorf("%s is before 1970, not an expiry (a zero date means the server set none)", excerpt([]byte(text)))
	}
	return t, nil
}

func epoch(f float64, text string) (time.Time, error) {
	if f >= 1e12 && f/1000 <= maxEpochSeconds {
		f /= 1000 // milliseconds, as JavaScript's Date.now() gives
	}
	if math.IsNaN(f) || f < 0 || f > maxEpochSeconds {
		return time.Time{}, fmt.Errorf("%s is out of range for epoch seconds", excerpt([]byte(text)))
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// maxRelativeSeconds bounds a relative expiry to a century, far below the
// overflow of time.Duration.
const maxRelativeSeconds = 100 * 365 * 24 * 3600

func parseSeconds(v any) (time.Duration, error) {
	s, ok := scalarText(v)
	if !ok {
		return 0, fmt.Errorf("is %s; want a number of seconds", withArticle(jsonKind(v)))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a number of seconds", excerpt([]byte(s)))
	}
	if f < 0 || f > maxRelativeSeconds {
		return 0, fmt.Errorf("%s seconds is out of range", excerpt([]byte(s)))
	}
	return time.Duration(f * float64(time.Second)), nil
}

// parseLifetime reads a token's lifetime in seconds (expires_in): at least
// one second, and whole seconds, a fraction rounded down. A lifetime under a
// second is a server bug, not a token worth using.
func parseLifetime(v any) (time.Duration, error) {
	d, err := parseSeconds(v)
	if err != nil {
		return 0, err
	}
	if d < time.Second {
		text, _ := scalarText(v)
		return 0, fmt.Errorf("%s seconds is under a second; want a whole number of seconds, at least 1", excerpt([]byte(text)))
	}
	return d.Truncate(time.Second), nil
}

// finishToken checks a JWT's shape, fills a missing expiry from its exp
// claim, and rejects a token that has already expired. An opaque token (not
// three dot-separated segments) keeps a zero expiry when the response gave
// none: the credential applies its opaque-token lifetime. A JWT without exp is
// accepted only when the response said when it expires.
func finishToken(tok credential.AccessToken, now time.Time) (credential.AccessToken, error) {
	if looksLikeJWT(tok.Token) {
		parsed, err := credential.ParseJWT(tok.Token)
		var pe *credential.ParseError
		switch {
		case err == nil:
			if tok.ExpiresOn.IsZero() {
				tok.ExpiresOn = parsed.ExpiresOn
			}
		case !tok.ExpiresOn.IsZero() && errors.As(err, &pe) && pe.Part == credential.PartExp:
			// The response's own expiry stands in for the missing exp.
		default:
			return credential.AccessToken{}, fmt.Errorf("the token is not usable: %w", err)
		}
	}
	if !tok.ExpiresOn.IsZero() && !tok.ExpiresOn.After(now) {
		return credential.AccessToken{}, fmt.Errorf("token expired at %s, %s ago (%w); is the server's clock right?",
			tok.ExpiresOn.UTC().Format(time.RFC3339), now.Sub(tok.ExpiresOn).Round(time.Second), credential.ErrExpiredToken)
	}
	return tok, nil
}

// looksLikeJWT says whether a token has the three segments of a signed JWT.
func looksLikeJWT(s string) bool {
	return strings.Count(s, ".") == 2 && !strings.ContainsFunc(s, unicode.IsSpace)
}
