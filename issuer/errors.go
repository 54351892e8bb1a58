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

func (e *Error) Error() string { return "issuer " + e.Endpoint + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

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

// MissingTokenError reports a JSON response without the token field.
type MissingTokenError struct {
	// Wanted lists the field paths that were looked for.
	Wanted []string
	// Seen lists the fields the response had where the token was expected.
	Seen []string
}

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
			return fmt.Errorf("no answer within %s (%w; raise the issuer timeout if the server is just slow): %w",
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
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connection refused: nothing is listening there; is the server running? (%w)", err)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("cannot resolve host %q: %w", dnsErr.Name, err)
	}
	return fmt.Errorf("request failed: %w", err)
}

// excerpt returns the start of a body on one line, for an error message.
func excerpt(body []byte) string {
	const max = 200
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
	if len(bytes.TrimSpace(body[i:])) > 0 {
		b.WriteString("…")
	}
	return b.String()
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "(unknown status)"
}
