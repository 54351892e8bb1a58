package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"tokentop/credential"
)

// DefaultHTTPBody is the request body HTTP posts by default, the ACS sample
// app server's /getToken request.
const DefaultHTTPBody = `{"username":{{identity}}}`

// HTTPConfig describes an app-server token endpoint.
type HTTPConfig struct {
	// URL is the endpoint, http or https.
	URL string
	// Method is POST (the default) or GET; GET sends no body.
	Method string
	// Body is the POST body template; empty means DefaultHTTPBody.
	// {{identity}} becomes the identity as a JSON string, {{scopes}} the
	// scopes as a JSON array, {{lifetime_minutes}} the asked lifetime (0 for
	// the server's default).
	Body string
	// Header holds extra request headers. Not for secrets: use HeaderEnv.
	Header http.Header
	// HeaderEnv maps a header name to the environment variable holding its
	// value (read once, by NewHTTP), e.g. Authorization -> APP_AUTH.
	HeaderEnv map[string]string
	// TokenField is the dotted JSON path of the token (e.g. data.token);
	// empty means communicationIdentityToken, access_token, accessToken or
	// token, or a plain-text body.
	TokenField string
	// Keys names the issuer's public keys, to check each token's signature
	// (CallInfo.Signature); the zero value checks none.
	Keys KeySource
}

// HTTP issues tokens from an app-server endpoint such as the ACS sample's
// /getToken. It is safe for concurrent use.
type HTTP struct {
	// reporter names the endpoint and holds the header_env values, to redact.
	reporter
	cfg    HTTPConfig
	url    *url.URL
	header http.Header
	client *http.Client
	opts   Options
	keys   *keySet // nil without Keys
	// traceNow times the HTTP exchanges for CallInfo; nil means time.Now.
	// Tests replace it.
	traceNow func() time.Time
}

// NewHTTP checks cfg, reads the header values it names from the environment,
// fetches the signing keys cfg.Keys names (a failure there is reported on
// each token, not here) and returns the adapter. Close it when done.
func NewHTTP(cfg HTTPConfig, opts Options) (*HTTP, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("issuer URL: want http://host/path or https://host/path")
	}
	switch cfg.Method = strings.ToUpper(cfg.Method); cfg.Method {
	case "":
		cfg.Method = http.MethodPost
	case http.MethodGet, http.MethodPost:
	default:
		return nil, fmt.Errorf("issuer %s: method %q: want GET or POST", redactURL(u), cfg.Method)
	}
	if cfg.Body == "" {
		cfg.Body = DefaultHTTPBody
	}
	header := cfg.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	var secrets []string
	for name, env := range cfg.HeaderEnv {
		v, ok := opts.lookupEnv(env)
		if !ok || v == "" {
			return nil, fmt.Errorf("issuer %s: header %s: environment variable %s is not set", redactURL(u), name, env)
		}
		header.Set(name, v)
		secrets = append(secrets, headerSecrets(v)...)
	}
	if header.Get("Accept") == "" {
		header.Set("Accept", "application/json, text/plain")
	}
	if header.Get("User-Agent") == "" {
		header.Set("User-Agent", "tokentop")
	}
	client := adapterClient(opts.httpClient())
	keys, err := newKeySet(cfg.Keys, client, opts)
	if err != nil {
		return nil, fmt.Errorf("issuer %s: %w", redactURL(u), err)
	}
	return &HTTP{
		reporter: reporter{endpoint: cfg.Method + " " + redactURL(u), secrets: newRedactor(secrets...)},
		cfg:      cfg,
		url:      u,
		header:   header,
		client:   client,
		opts:     opts,
		keys:     keys,
	}, nil
}

// Close stops the background refresh of the signing keys. The adapter must
// not be used after.
func (h *HTTP) Close() error {
	h.keys.close()
	return nil
}

// Name is the endpoint's URL without query or credentials.
func (h *HTTP) Name() string { return redactURL(h.url) }

// Issue asks the endpoint for a token for r.Identity. If ctx carries a
// CallInfo, it is filled with the HTTP timings and the token's signature
// check.
func (h *HTTP) Issue(ctx context.Context, r Request) (credential.AccessToken, error) {
	timeout := h.opts.timeout()
	callCtx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	defer cancel()

	info := CallInfoFrom(ctx)
	reqCtx, trace := traceCall(callCtx, info, h.traceNow)
	req, err := h.newRequest(reqCtx, r)
	if err != nil {
		return credential.AccessToken{}, h.fail(err)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		trace.report(info, 0, 0)
		return credential.AccessToken{}, h.fail(describeCallError(callCtx, timeout, err))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes)) // the limit transport has refused more
	resp.Body.Close()
	trace.report(info, resp.StatusCode, int64(len(body)))
	if err != nil {
		return credential.AccessToken{}, h.fail(describeCallError(callCtx, timeout, err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return credential.AccessToken{}, h.fail(newStatusError(resp, body, h.opts.now(), h.secrets))
	}
	tok, err := parseTokenResponse(body, resp.Header.Get("Content-Type"), h.cfg.TokenField, h.opts.now())
	if err != nil {
		return credential.AccessToken{}, h.fail(err)
	}
	if info != nil {
		info.Signature = h.keys.check(callCtx, tok.Token)
	}
	return tok, nil
}

func (h *HTTP) newRequest(ctx context.Context, r Request) (*http.Request, error) {
	var body io.Reader
	if h.cfg.Method == http.MethodPost {
		b, err := renderBody(h.cfg.Body, r)
		if err != nil {
			return nil, err
		}
		body = strings.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, h.cfg.Method, h.url.String(), body)
	if err != nil {
		return nil, fmt.Errorf("cannot build the request: %w", err)
	}
	req.Header = h.header.Clone()
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// renderBody fills a body template; values are JSON-encoded so that any
// identity yields valid JSON.
func renderBody(template string, r Request) (string, error) {
	identity, err := json.Marshal(r.Identity)
	if err != nil {
		return "", fmt.Errorf("cannot encode the identity: %w", err)
	}
	scopes := r.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	scopesJSON, err := json.Marshal(scopes)
	if err != nil {
		return "", fmt.Errorf("cannot encode the scopes: %w", err)
	}
	return strings.NewReplacer(
		"{{identity}}", string(identity),
		"{{scopes}}", string(scopesJSON),
		"{{lifetime_minutes}}", strconv.FormatInt(int64(r.Lifetime/time.Minute), 10),
	).Replace(template), nil
}

// newStatusError describes a non-2xx response, its excerpt redacted by r.
func newStatusError(resp *http.Response, body []byte, now time.Time, r *redactor) *StatusError {
	e := &StatusError{StatusCode: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		e.Excerpt = reportedError(r, obj)
	}
	if e.Excerpt == "" {
		e.Excerpt = r.excerpt(body)
	}
	return e
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 && s < 1e6 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

var _ Issuer = (*HTTP)(nil)
