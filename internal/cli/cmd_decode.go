package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"tokentop/internal/durfmt"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"tokentop/credential"
	"tokentop/issuer"
)

// Limits of `tokentop decode`.
const (
	// maxDecodeInput bounds the token read from stdin or --file; real
	// tokens are a few KiB.
	maxDecodeInput = 64 << 10
	// decodeTimeout bounds a signature check: its HTTP calls and the check.
	decodeTimeout = 10 * time.Second
	// maxShownValue is the longest claim value the text output shows whole.
	maxShownValue = 200
)

// timeClaims are the claims shown as times.
var timeClaims = []string{"exp", "nbf", "iat", "auth_time"}

// decodeConfig is the command line of `tokentop decode`.
type decodeConfig struct {
	file      string
	json      bool
	jwksURL   string
	issuerURL string
}

// errMalformed marks input that is not a decodable token: exit status 2.
var errMalformed = errors.New("malformed token")

// runDecodeContext runs `tokentop decode [flags]` until done or ctx ends,
// with now as the clock the expiry state is told on, and returns the exit
// status.
func runDecodeContext(ctx context.Context, args []string, stdin io.Reader, now func() time.Time, stdout, stderr io.Writer) int {
	var cfg decodeConfig
	fs := pflag.NewFlagSet("tokentop decode", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.file, "file", "", fmt.Sprintf("read the token from this file (at most %d KiB) instead of stdin", maxDecodeInput>>10))
	fs.BoolVar(&cfg.json, "json", false, "print one JSON object, for scripts")
	fs.StringVar(&cfg.jwksURL, "jwks", "", "check the signature against the JWK Set at this URL")
	fs.StringVar(&cfg.issuerURL, "issuer-url", "", "check the signature against the keys of this OpenID Connect issuer (its jwks_uri)")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, decodeHelp(fs))
			return exitOK
		}
		fmt.Fprintf(stderr, "tokentop decode: %v; see --help\n", err)
		return exitUsage
	}
	if err := checkDecodeConfig(cfg, fs.Args()); err != nil {
		fmt.Fprintf(stderr, "tokentop decode: %v; see --help\n", err)
		return exitUsage
	}
	raw, err := readToken(cfg.file, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "tokentop decode: %v\n", err)
		return exitUsage
	}
	d, err := decodeJWT(raw, now())
	if err != nil {
		fmt.Fprintf(stderr, "tokentop decode: %v\n", err)
		return exitUsage
	}
	var alg string
	if json.Unmarshal(d.Header["alg"], &alg) == nil && strings.EqualFold(alg, "none") {
		// Loud, and on stderr so that --json stays one object: a verifier
		// that honours alg "none" accepts a token anyone can forge.
		fmt.Fprintf(stderr, "tokentop decode: WARNING: this token is NOT SIGNED (alg %q): anyone can forge it, and no verifier should accept it\n", sanitize(alg))
	}
	code := exitOK
	if cfg.jwksURL != "" || cfg.issuerURL != "" {
		keys := issuer.KeySource{JWKS: cfg.jwksURL, IssuerURL: cfg.issuerURL}
		sig := issuer.CheckSignature(ctx, raw, keys, issuer.Options{Timeout: decodeTimeout})
		d.Signature = &sig
		if sig.State != issuer.SignatureVerified {
			code = exitFailure
		}
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			fmt.Fprintf(stderr, "tokentop decode: %v\n", err)
			return exitFailure
		}
	} else {
		d.writeText(stdout)
	}
	return code
}

func decodeHelp(fs *pflag.FlagSet) string {
	return `Usage: tokentop decode [flags] < token-file

Decodes a JWT offline: its header, its claims (times in RFC 3339 UTC and
relative to now), whether it is valid, expired or not yet valid, and its
fingerprint. With --jwks or --issuer-url it also checks the signature.
It reads the token from stdin (so that it stays out of the shell history)
or from --file: the token alone, an "Authorization: Bearer ..." line, or
an issuer's JSON answer as curl prints it (the token in access_token, token,
communicationIdentityToken or accessToken.token). It never prints the token
or its signature, and warns when the token says alg "none" (unsigned).

Exit status: 0 decoded (and, if asked, the signature verified);
1 the signature is invalid or could not be checked; 2 a bad command line or
a malformed token.

Flags:
` + fs.FlagUsages() + `
Examples:
  pbpaste | tokentop decode
  curl -s -X POST -d '{"username":"alice"}' http://127.0.0.1:8080/getToken | tokentop decode
  tokentop decode --file token.txt --json
  tokentop decode --issuer-url http://127.0.0.1:8080 < token.txt
`
}

func checkDecodeConfig(cfg decodeConfig, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %.40q (the token is read from stdin or --file, never from the command line, which others can see)", args[0])
	}
	if cfg.jwksURL != "" && cfg.issuerURL != "" {
		return errors.New("give --jwks or --issuer-url, not both")
	}
	for _, f := range []struct{ name, value string }{{"--jwks", cfg.jwksURL}, {"--issuer-url", cfg.issuerURL}} {
		if f.value == "" {
			continue
		}
		if u, err := url.Parse(f.value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s: want an http:// or https:// URL", f.name)
		}
	}
	return nil
}

// decoded is a decoded token, as --json prints it. It holds no part of the
// token's signature.
type decoded struct {
	Fingerprint string                     `json:"fingerprint"`
	Bytes       int                        `json:"bytes"`
	Header      map[string]json.RawMessage `json:"header"`
	Claims      map[string]json.RawMessage `json:"claims"`
	Times       map[string]claimTime       `json:"times,omitempty"`
	// State is "valid", "expired", "not yet valid" or "no expiry".
	State string `json:"state"`
	// ExpiresIn is exp - now in seconds, negative once expired.
	ExpiresIn *int64 `json:"expires_in_seconds,omitempty"`
	// Lifetime is exp - iat in seconds.
	Lifetime *int64 `json:"lifetime_seconds,omitempty"`
	// Problems are claims that could not be read, e.g. an exp that is not
	// a number.
	Problems  []string               `json:"problems,omitempty"`
	Signature *issuer.SignatureCheck `json:"signature,omitempty"`

	now time.Time
}

// claimTime is a time claim: seconds since 1970, RFC 3339 UTC, and relative
// to now.
type claimTime struct {
	Unix     int64  `json:"unix"`
	Time     string `json:"time"`
	Relative string `json:"relative"`
}

// decodeJWT decodes raw's header and claims and tells its state at now. A
// token that is not a JWT is an error wrapping errMalformed, worded by
// credential.ParseJWT; an exp that cannot be read is only a problem.
func decodeJWT(raw string, now time.Time) (*decoded, error) {
	var problems []string
	if _, err := credential.ParseJWT(raw); err != nil {
		var pe *credential.ParseError
		if !errors.As(err, &pe) {
			return nil, fmt.Errorf("%w: %v", errMalformed, err)
		}
		if pe.Part != credential.PartExp {
			return nil, fmt.Errorf("%w: %s", errMalformed, strings.TrimPrefix(err.Error(), "credential: malformed token: "))
		}
		problems = append(problems, pe.Reason)
	}
	header, payload, _ := strings.Cut(raw, ".")
	payload, _, _ = strings.Cut(payload, ".")
	d := &decoded{Fingerprint: "sha256:" + credential.AccessToken{Token: raw}.Fingerprint(), Bytes: len(raw), Problems: problems, now: now}
	for _, seg := range []struct {
		name, text string
		into       *map[string]json.RawMessage
	}{{"header", header, &d.Header}, {"payload", payload, &d.Claims}} {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg.text, "="))
		if err == nil {
			err = json.Unmarshal(b, seg.into)
		}
		if err != nil { // ParseJWT checked both; kept for safety
			return nil, fmt.Errorf("%w: the %s: %v", errMalformed, seg.name, err)
		}
	}
	d.Times = map[string]claimTime{}
	times := map[string]time.Time{}
	for _, name := range timeClaims {
		v, ok := d.Claims[name]
		if !ok {
			continue
		}
		t, ok := numericDate(v)
		if !ok {
			if name != "exp" || len(problems) == 0 { // ParseJWT said it for exp
				d.Problems = append(d.Problems, fmt.Sprintf("the %q claim is not a number of seconds since 1970", name))
			}
			continue
		}
		times[name] = t
		d.Times[name] = claimTime{Unix: t.Unix(), Time: t.UTC().Format(time.RFC3339), Relative: relative(t, now)}
	}
	exp, hasExp := times["exp"]
	nbf, hasNbf := times["nbf"]
	switch {
	case hasExp && !now.Before(exp):
		d.State = "expired"
	case hasNbf && now.Before(nbf):
		d.State = "not yet valid"
	case hasExp:
		d.State = "valid"
	default:
		d.State = "no expiry"
	}
	if hasExp {
		in, _ := secondsBetween(now, exp)
		d.ExpiresIn = &in
		if iat, ok := times["iat"]; ok {
			life := exp.Unix() - iat.Unix()
			d.Lifetime = &life
		}
	}
	return d, nil
}

// numericDate reads a JSON number of seconds since 1970 within years 0001
// to 9999.
func numericDate(v json.RawMessage) (time.Time, bool) {
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || !(f >= -62135596800 && f <= 253402300799) {
		return time.Time{}, false
	}
	whole, frac := math.Modf(f)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC(), true
}

// relative says t from now: "in 59m58s", "3m ago", "now", "more than 100
// years ago". It counts whole seconds itself: time.Time.Sub saturates about
// 292 years away, and a claim may be anywhere in years 1 to 9999.
func relative(t, now time.Time) string {
	secs, frac := secondsBetween(now, t)
	if secs < 0 && frac {
		secs++ // toward zero: 1.5 s ago is "1s ago"
	}
	switch {
	case secs >= 1:
		return "in " + shortDuration(secs)
	case secs <= -1:
		return shortDuration(-secs) + " ago"
	}
	return "now"
}

// secondsBetween is to - from in whole seconds, rounded down, and whether
// a fraction of a second was left over; exact for any two times.
func secondsBetween(from, to time.Time) (secs int64, frac bool) {
	secs = to.Unix() - from.Unix()
	ns := to.Nanosecond() - from.Nanosecond()
	if ns < 0 {
		secs--
	}
	return secs, ns != 0
}

// maxShownSeconds is the longest span shortDuration writes in units: a
// hundred years of 365.25 days.
const maxShownSeconds = 100 * 36525 * 864

// shortDuration writes secs as the rest of tokentop writes durations
// (durfmt.Format, the README's "Durations are rounded"): "59m58s",
// "47h59m", then days, "3 days 4h"; beyond a hundred years, "more than 100
// years" (or "-(more than 100 years)").
func shortDuration(secs int64) string {
	switch {
	case secs < -maxShownSeconds: // also keeps -secs from overflowing
		return "-(more than 100 years)"
	case secs > maxShownSeconds:
		return "more than 100 years"
	}
	return durfmt.Format(time.Duration(secs) * time.Second)
}

// writeText prints d for a person.
func (d *decoded) writeText(w io.Writer) {
	fmt.Fprintf(w, "token      %s (JWT, %d bytes)\n", d.Fingerprint, d.Bytes)
	state := d.State
	if t, ok := d.Times["exp"]; ok {
		switch d.State {
		case "expired":
			state += ": expired " + t.Relative + " (" + t.Time + ")"
		case "valid":
			state += ": expires " + t.Relative + " (" + t.Time + ")"
		}
	}
	if t, ok := d.Times["nbf"]; ok && d.State == "not yet valid" {
		state += ": valid from " + t.Time + " (" + t.Relative + ")"
	}
	fmt.Fprintf(w, "state      %s\n", state)
	if d.Lifetime != nil {
		life := "lifetime   " + shortDuration(*d.Lifetime) + " (exp - iat)"
		if n, ok := d.Claims["ttl_nominal"]; ok {
			if secs, err := strconv.ParseInt(string(n), 10, 64); err == nil && secs > 0 {
				life += "; nominal " + shortDuration(secs) + " (a time-warped fake issuer)"
			}
		}
		fmt.Fprintln(w, life)
	}
	if s := d.Signature; s != nil {
		line := string(s.State)
		if s.Why != "" {
			line += ": " + s.Why
		}
		fmt.Fprintf(w, "signature  %s\n", sanitize(line))
	} else {
		fmt.Fprintln(w, "signature  not checked (give --jwks URL or --issuer-url URL)")
	}
	for _, p := range d.Problems {
		fmt.Fprintf(w, "problem    %s\n", sanitize(p))
	}
	writeMembers(w, "header", d.Header, nil)
	writeMembers(w, "claims", d.Claims, d.Times)
}

// writeMembers prints a JSON object's members sorted, one a line, time
// claims with their date and distance from now.
func writeMembers(w io.Writer, title string, m map[string]json.RawMessage, times map[string]claimTime) {
	fmt.Fprintln(w, title)
	keys := make([]string, 0, len(m))
	width := 0
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		width = max(width, utf8.RuneCountInString(sanitize(k)))
	}
	for _, k := range keys {
		v := shownValue(m[k])
		if t, ok := times[k]; ok {
			v += "  " + t.Time + "  " + t.Relative
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, sanitize(k), v)
	}
}

// shownValue is a claim's JSON, compacted, made safe for a terminal and
// elided past maxShownValue.
func shownValue(v json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		b.Reset()
		b.Write(v)
	}
	s := sanitize(b.String())
	if len(s) > maxShownValue {
		cut := maxShownValue
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + fmt.Sprintf("… (%d bytes)", len(v))
	}
	return s
}

// sanitize escapes what a terminal could act on or that hides text:
// control characters (C0 and C1), bidirectional and other format
// characters, and invalid UTF-8.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
				continue
			}
			b.WriteRune(r)
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
