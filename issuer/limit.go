package issuer

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
)

// withResponseLimit returns a client sharing c's transport (and so its
// connection pool) whose responses are read whole, up to MaxResponseBytes,
// before the caller sees them. A larger response fails with
// ErrResponseTooLarge. Doing it in the transport covers x/oauth2 too, which
// would otherwise cut a large body silently and report bad JSON.
func withResponseLimit(c *http.Client) *http.Client {
	limited := *c
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	limited.Transport = &limitTransport{base: base}
	return &limited
}

type limitTransport struct{ base http.RoundTripper }

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(replayable(req))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.ContentLength > MaxResponseBytes {
		return nil, ErrResponseTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxResponseBytes {
		return nil, ErrResponseTooLarge
	}
	if looksLikeJSONSentAsText(resp.Header.Get("Content-Type"), body) {
		// x/oauth2 parses a text/plain body as a query string and then finds
		// no access_token; servers that forget their Content-Type mean JSON.
		resp.Header.Set("Content-Type", "application/json")
	}
	if c, ok := req.Context().Value(capturedBodyKey{}).(*capturedBody); ok {
		c.status, c.contentType, c.body = resp.StatusCode, resp.Header.Get("Content-Type"), body
		_, _, c.basicAuth = req.BasicAuth()
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// replayable marks a POST whose body can be sent again (GetBody is set, as
// for every token request here) as idempotent, with an Idempotency-Key
// header that net/http does not send (its value is empty). Asking for
// another token is harmless, and the mark lets the transport send the
// request again, on a new connection, when a kept-alive connection turns out
// closed by the server before any answer came back: the race between a
// server's idle timeout and the next request, which otherwise fails with
// "connection reset by peer". net/http retries only on a reused connection,
// so a server that drops fresh connections sees the request once more at
// most.
func replayable(req *http.Request) *http.Request {
	if req.Method != http.MethodPost || req.GetBody == nil {
		return req
	}
	if _, ok := req.Header["Idempotency-Key"]; ok {
		return req
	}
	if _, ok := req.Header["X-Idempotency-Key"]; ok {
		return req
	}
	clone := req.Clone(req.Context()) // a RoundTripper must not change its request
	if clone.Header == nil {
		clone.Header = http.Header{}
	}
	clone.Header["Idempotency-Key"] = nil
	return clone
}

func looksLikeJSONSentAsText(contentType string, body []byte) bool {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	trimmed := bytes.TrimSpace(body)
	return (mediaType == "text/plain" || mediaType == "") && len(trimmed) > 0 && trimmed[0] == '{'
}

// capturedBody keeps the last response of one call, so that an adapter whose
// library reports a vague error (x/oauth2: "cannot parse json") can say what
// the response really was, and how the request authenticated (OAuth2 keeps
// the auth style x/oauth2 detected).
type capturedBody struct {
	status      int
	contentType string
	body        []byte
	basicAuth   bool // the request carried HTTP Basic credentials
}

type capturedBodyKey struct{}

// withCapturedBody returns a context under which limitTransport records the
// response body in c.
func withCapturedBody(ctx context.Context, c *capturedBody) context.Context {
	return context.WithValue(ctx, capturedBodyKey{}, c)
}
