package issuer

import (
	"net"
	"net/http"
	"time"
)

// NewHTTPClient returns an HTTP client for the issuer adapters: keep-alive
// connections that are reused across calls (a client per request exhausts
// sockets), and dial and TLS handshake timeouts. It has no overall timeout:
// each Issue call bounds itself with Options.Timeout and its context. Create
// one per program and share it through Options.HTTPClient.
func NewHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
	}
	return &http.Client{Transport: transport}
}
