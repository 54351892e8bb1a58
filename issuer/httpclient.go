package issuer

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// MaxResponseHeaderBytes bounds the response headers the client made by
// NewHTTPClient reads; a token endpoint's headers are a few hundred bytes.
const MaxResponseHeaderBytes = 64 << 10

// NewHTTPClient returns an HTTP client for the issuer adapters: keep-alive
// connections that are reused across calls (a client per request exhausts
// sockets), dial and TLS handshake timeouts, and response headers bounded by
// MaxResponseHeaderBytes. It has no overall timeout:
// each Issue call bounds itself with Options.Timeout and its context. Create
// one per program and share it through Options.HTTPClient.
func NewHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    5 * time.Second,
		ExpectContinueTimeout:  1 * time.Second,
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	}
	return &http.Client{Transport: transport}
}

// adapterClient is the client an adapter uses: c's transport (and so its
// connections), responses bounded by MaxResponseBytes, and redirects kept to
// the endpoint's own scheme and host.
func adapterClient(c *http.Client) *http.Client {
	limited := withResponseLimit(c)
	limited.CheckRedirect = sameOriginRedirects
	return limited
}

// maxRedirects is how many redirects a call follows, as net/http's default.
const maxRedirects = 10

// sameOriginRedirects refuses a redirect to another host or scheme. Go drops
// only Authorization and Cookie on such a redirect: header_env headers (an
// X-Api-Key) would follow to the other host, a 307 would re-send a client
// secret in the form body, and https to http would send them in clear.
func sameOriginRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	from := via[0].URL
	if req.URL.Scheme != from.Scheme || !strings.EqualFold(req.URL.Host, from.Host) {
		return &redirectError{target: redactURL(req.URL)}
	}
	return nil
}

// redirectError reports a refused redirect; target has no query.
type redirectError struct{ target string }

func (e *redirectError) Error() string {
	return "the server redirected to " + e.target + ", another host or scheme; it is not followed so that the request's headers and secrets stay with the endpoint: put the final URL in the spec"
}
