package issuer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// Error is the error every adapter returns from Issue: the endpoint that was
// called and what went wrong. Err says what; errors.Is and errors.As see
// through to it (for example context.Canceled, ErrResponseTooLarge,
// *StatusError, *MissingTokenError).
type Error struct {
	// Endpoint names what was called: a URL without its query, userinfo or
	// fragment, or a command.
	Endpoint string
	// Err is what went wrong.
	Err error
}

// Error reads "issuer ENDPOINT: what went wrong".
func (e *Error) Error() string { return "issuer " + e.Endpoint + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// reporter builds an adapter's errors: it names the endpoint and keeps the
// adapter's secrets out of the message.
type reporter struct {
	endpoint string
	secrets  *redactor
}

// fail wraps err as the adapter's *Error, its message redacted.
func (r reporter) fail(err error) error {
	return &Error{Endpoint: r.endpoint, Err: r.secrets.error(err)}
}

// ErrResponseTooLarge reports a response body or command output above
// MaxResponseBytes.
var ErrResponseTooLarge = errors.New("response larger than 1 MiB")

// ErrTimeout reports a call that ran past Options.Timeout.
var ErrTimeout = errors.New("timed out")

// StatusError reports an HTTP response whose status is not 2xx.
type StatusError struct {
	// StatusCode is the HTTP status, e.g. 500.
	StatusCode int
	// RetryAfter is the server's Retry-After, or zero.
	RetryAfter time.Duration
	// Excerpt is the start of the response body on one line, for the user.
	Excerpt string
}

// Error gives the status with its text, the Retry-After if any and the
// body's excerpt.
func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server answered %d %s", e.StatusCode, statusText(e.StatusCode))
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Excerpt != "" {
		fmt.Fprintf(&b, ": %s", e.Excerpt)
	}
	return b.String()
}

// RetryDelay is the server's Retry-After on a 429 or 503, which a policy
// that honours it waits out before asking again; zero otherwise.
func (e *StatusError) RetryDelay() time.Duration { return retryDelay(e.StatusCode, e.RetryAfter) }

// Permanent reports a status that asking again will not change until
// someone acts: 400, 401, 403 or 404.
func (e *StatusError) Permanent() bool { return PermanentStatus(e.StatusCode) }

// PermanentStatus reports an HTTP status that retrying will not fix: a bad
// request, missing or wrong credentials, no permission, no such endpoint.
func PermanentStatus(status int) bool {
	switch status {
	case 400, 401, 403, 404:
		return true
	}
	return false
}

func retryDelay(status int, after time.Duration) time.Duration {
	if status == 429 || status == 503 {
		return max(after, 0)
	}
	return 0
}

// MissingTokenError reports a JSON response without the token field.
type MissingTokenError struct {
	// Wanted lists the field paths that were looked for.
	Wanted []string
	// Seen lists the fields the response had where the token was expected.
	Seen []string
}

// Error names the fields looked for and seen, and the spec option that
// names the right one.
func (e *MissingTokenError) Error() string {
	seen := "none"
	if len(e.Seen) > 0 {
		seen = strings.Join(e.Seen, ", ")
	}
	return fmt.Sprintf("response has no token field %s (fields seen: %s); name the field with the spec's token= option",
		strings.Join(quoteAll(e.Wanted), " or "), seen)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// redactURL names an endpoint without its query, fragment or userinfo, which
// may carry secrets.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.ForceQuery = false
	c.Fragment = ""
	c.RawFragment = ""
	return c.String()
}

// describeCallError turns a failed call (an HTTP round trip, a command run)
// into a sentence. callCtx is the context bounded by Options.Timeout; its
// cause tells our own timeout from the caller giving up.
func describeCallError(callCtx context.Context, timeout time.Duration, err error) error {
	if callCtx.Err() != nil {
		if errors.Is(context.Cause(callCtx), ErrTimeout) {
			return fmt.Errorf("no answer within %s (%w; raise --issuer-timeout (Options.Timeout) if the server is just slow): %w",
				timeout, ErrTimeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("call abandoned: %w", callCtx.Err())
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // its message repeats the full URL, query included
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, ErrResponseTooLarge):
		return err
	case isHeaderTooLarge(err):
		return fmt.Errorf("the server's response headers are larger than %d KiB, far more than a token endpoint sends (%w)", MaxResponseHeaderBytes>>10, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connection refused: nothing is listening there; is the server running? (%w)", err)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("cannot resolve host %q: %w", dnsErr.Name, err)
	}
	return fmt.Errorf("request failed: %w", err)
}

// isHeaderTooLarge says whether err is net/http refusing response headers
// above Transport.MaxResponseHeaderBytes; it has no error value to match.
func isHeaderTooLarge(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "server response headers exceeded") || strings.Contains(msg, "response header list larger than")
}

// oneLine is the start of a text the user gave (a command line) on one line,
// up to 200 bytes, unredacted.
func oneLine(s string) string {
	text, rest := collapse([]byte(s), 200)
	if rest {
		text += "…"
	}
	return text
}

// collapse returns about the first max bytes of body on one line, runs of
// spaces and control characters made one space, and whether more followed.
func collapse(body []byte, max int) (string, bool) {
	var b strings.Builder
	space := false
	i := 0
	for i < len(body) && b.Len() < max {
		r, size := utf8.DecodeRune(body[i:])
		i += size
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String(), len(bytes.TrimSpace(body[i:])) > 0
}

// minTokenLength is the shortest run of token characters (holding letters
// and digits) taken for an opaque token.
const minTokenLength = 24

// redactTokens replaces each run of token characters that looks like a JWT or
// a long opaque token (minTokenLength or more, letters and digits mixed, not
// a UUID) with [redacted].
func redactTokens(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		start := strings.IndexFunc(s, isTokenChar)
		if start < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:start])
		s = s[start:]
		end := strings.IndexFunc(s, func(r rune) bool { return !isTokenChar(r) })
		if end < 0 {
			end = len(s)
		}
		run := s[:end]
		if trimmed := strings.TrimRight(run, "."); trimmed != "" {
			run = trimmed // a sentence's full stop is not part of the token
		}
		if looksLikeSecret(run) {
			b.WriteString("[redacted]")
		} else {
			b.WriteString(run)
		}
		s = s[len(run):]
	}
	return b.String()
}

func isTokenChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~+=", r)
}

func looksLikeSecret(run string) bool {
	if strings.HasPrefix(run, "eyJ") && strings.Count(run, ".") == 2 {
		return true // a JWT, whatever its length
	}
	if len(run) < minTokenLength || isUUID(run) {
		return false
	}
	return strings.ContainsAny(run, "0123456789") && strings.IndexFunc(run, unicode.IsLetter) >= 0
}

// isUUID says whether s is a UUID, such as a request or correlation id,
// which helps to trace a failure and is no secret.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !unicode.Is(unicode.ASCII_Hex_Digit, r) {
				return false
			}
		}
	}
	return true
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "(unknown status)"
}
