package issuer

import (
	"net/http"
	"os"
	"time"
)

// Defaults used when the matching Options field is zero.
const (
	// DefaultTimeout bounds one Issue call, whatever the caller's context says.
	DefaultTimeout = 10 * time.Second
	// DefaultKillDelay is how long an Exec command may run after SIGTERM
	// before it is killed.
	DefaultKillDelay = 2 * time.Second
	// MaxResponseBytes is the largest response body (or command stdout) an
	// adapter reads.
	MaxResponseBytes = 1 << 20
)

// Options are the settings shared by every adapter. The zero value is usable.
type Options struct {
	// HTTPClient is used by the HTTP-based adapters. Create one with
	// NewHTTPClient and pass it to every adapter so that they share
	// connections; nil means each adapter creates its own when it is built.
	// A client made otherwise keeps its transport's own limit on response
	// headers (net/http's default is 10 MB, not MaxResponseHeaderBytes).
	HTTPClient *http.Client
	// Timeout bounds each Issue call; zero means DefaultTimeout.
	Timeout time.Duration
	// KillDelay is the grace between SIGTERM and SIGKILL for an Exec command
	// whose context ended; zero means DefaultKillDelay.
	KillDelay time.Duration
	// Now tells the time, for relative expiries (expires_in) and for
	// rejecting expired tokens; nil means time.Now.
	Now func() time.Time
	// LookupEnv reads environment variables for secrets (secret_env,
	// header_env); nil means os.LookupEnv.
	LookupEnv func(key string) (string, bool)
}

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

func (o Options) killDelay() time.Duration {
	if o.KillDelay > 0 {
		return o.KillDelay
	}
	return DefaultKillDelay
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) lookupEnv(key string) (string, bool) {
	if o.LookupEnv != nil {
		return o.LookupEnv(key)
	}
	return os.LookupEnv(key)
}

func (o Options) httpClient() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return NewHTTPClient()
}
