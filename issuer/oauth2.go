package issuer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"tokentop/credential"
)

// maxSecretFileBytes bounds a client-secret file: a secret is short, and a
// large file is a wrong path.
const maxSecretFileBytes = 64 << 10

// OAuth2Config describes an OAuth2 client-credentials grant.
type OAuth2Config struct {
	// TokenURL is the token endpoint, http or https.
	TokenURL string
	// ClientID identifies the client.
	ClientID string
	// ClientSecret is the secret itself, for programs that hold it; a spec
	// never carries it. Exactly one of ClientSecret, SecretEnv and SecretFile
	// is set.
	ClientSecret string
	// SecretEnv names the environment variable holding the secret.
	SecretEnv string
	// SecretFile is a file holding the secret (a trailing newline is trimmed).
	SecretFile string
	// Scopes are sent as the scope parameter; empty means the request's.
	Scopes []string
	// Audience and Resource, when set, are sent as the audience and resource
	// token-request parameters (Auth0, ADFS and Entra v1 style).
	Audience, Resource string
	// AuthStyle is "header" (HTTP Basic), "params" (in the form body), or
	// empty to detect it on the first call.
	AuthStyle string
	// Keys names the issuer's public keys, to check each token's signature
	// (CallInfo.Signature); the zero value checks none.
	Keys KeySource
}

// check reports what is missing or contradictory, without reading secrets.
func (c OAuth2Config) check() error {
	if c.TokenURL == "" {
		return errors.New("token_url is missing")
	}
	u, err := url.Parse(c.TokenURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("token_url: want http://host/path or https://host/path")
	}
	if u.User != nil {
		return errors.New("token_url carries a user or password; the client secret comes from secret_env=ENV_VAR or secret_file=PATH")
	}
	if c.ClientID == "" {
		return errors.New("client_id is missing")
	}
	if err := c.Keys.check(); err != nil {
		return err
	}
	sources := 0
	for _, s := range []string{c.ClientSecret, c.SecretEnv, c.SecretFile} {
		if s != "" {
			sources++
		}
	}
	if sources != 1 {
		return errors.New("give the client secret's source once: secret_env=ENV_VAR or secret_file=PATH")
	}
	switch c.AuthStyle {
	case "", "header", "params":
	default:
		return fmt.Errorf("auth style %q: want header or params", c.AuthStyle)
	}
	return nil
}

// OAuth2 issues tokens with the client-credentials grant, through
// golang.org/x/oauth2/clientcredentials. The identity is not sent: the token
// is the client's own. It is safe for concurrent use.
type OAuth2 struct {
	// reporter names the endpoint and holds the client secret, to redact.
	reporter
	conf   clientcredentials.Config // a template: each call copies it with its scopes
	client *http.Client
	opts   Options
	keys   *keySet // nil without Keys
	// traceNow times the HTTP exchanges for CallInfo; nil means time.Now.
	// Tests replace it.
	traceNow func() time.Time
	// detected is the auth style the first successful call found, when conf
	// asks for detection; 0 until then. x/oauth2 caches its detection per
	// Config, and a Config per scope set would lose it: every call with the
	// request's scopes would probe again, two POSTs to a params-only server.
	detected atomic.Int32
}

// NewOAuth2 checks cfg, reads the client secret from its environment
// variable or file, fetches the signing keys cfg.Keys names (a failure there
// is reported on each token, not here) and returns the adapter. Close it
// when done.
func NewOAuth2(cfg OAuth2Config, opts Options) (*OAuth2, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("oauth2 issuer: %w", err)
	}
	u, _ := url.Parse(cfg.TokenURL) // checked above
	endpoint := "oauth2 " + redactURL(u)
	secret, err := readSecret(cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("issuer %s: %w", endpoint, err)
	}
	params := url.Values{}
	if cfg.Audience != "" {
		params.Set("audience", cfg.Audience)
	}
	if cfg.Resource != "" {
		params.Set("resource", cfg.Resource)
	}
	client := adapterClient(opts.httpClient())
	keys, err := newKeySet(cfg.Keys, client, opts)
	if err != nil {
		return nil, fmt.Errorf("issuer %s: %w", endpoint, err)
	}
	style := oauth2.AuthStyleAutoDetect
	switch cfg.AuthStyle {
	case "header":
		style = oauth2.AuthStyleInHeader
	case "params":
		style = oauth2.AuthStyleInParams
	}
	return &OAuth2{
		conf: clientcredentials.Config{
			ClientID:       cfg.ClientID,
			ClientSecret:   secret,
			TokenURL:       cfg.TokenURL,
			Scopes:         cfg.Scopes,
			EndpointParams: params,
			AuthStyle:      style,
		},
		reporter: reporter{endpoint: endpoint, secrets: newRedactor(append([]string{secret}, basicAuthForms(cfg.ClientID, secret)...)...)},
		client:   client,
		opts:     opts,
		keys:     keys,
	}, nil
}

// Close stops the background refresh of the signing keys. The adapter must
// not be used after.
func (o *OAuth2) Close() error {
	o.keys.close()
	return nil
}

func readSecret(cfg OAuth2Config, opts Options) (string, error) {
	switch {
	case cfg.ClientSecret != "":
		return cfg.ClientSecret, nil
	case cfg.SecretEnv != "":
		v, ok := opts.lookupEnv(cfg.SecretEnv)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s (secret_env) is not set", cfg.SecretEnv)
		}
		return v, nil
	}
	return readSecretFile(cfg.SecretFile, "secret_file", "client secret", maxSecretFileBytes,
		func(s string) string { return strings.TrimRight(s, "\r\n") })
}

// Name is "oauth2" and the token URL without query or credentials.
func (o *OAuth2) Name() string { return o.endpoint }

// Issue runs the client-credentials grant. Scopes come from the config, or
// from r when the config has none. If ctx carries a CallInfo, it is filled
// with the HTTP timings of the last token request and the token's signature
// check.
func (o *OAuth2) Issue(ctx context.Context, r Request) (credential.AccessToken, error) {
	timeout := o.opts.timeout()
	callCtx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	defer cancel()

	conf := &clientcredentials.Config{
		ClientID:       o.conf.ClientID,
		ClientSecret:   o.conf.ClientSecret,
		TokenURL:       o.conf.TokenURL,
		Scopes:         o.conf.Scopes,
		EndpointParams: o.conf.EndpointParams,
		AuthStyle:      o.authStyle(),
	}
	if len(conf.Scopes) == 0 {
		conf.Scopes = r.Scopes
	}
	info := CallInfoFrom(ctx)
	traceCtx, trace := traceCall(callCtx, info, o.traceNow) // x/oauth2 sends its requests with this context
	var captured capturedBody
	tokenCtx := withCapturedBody(context.WithValue(traceCtx, oauth2.HTTPClient, o.client), &captured)
	tok, err := conf.Token(tokenCtx)
	trace.report(info, captured.status, int64(len(captured.body)))
	if err != nil {
		return credential.AccessToken{}, o.fail(o.describe(callCtx, timeout, err, &captured))
	}
	if conf.AuthStyle == oauth2.AuthStyleAutoDetect {
		// The last request is the one that succeeded.
		style := oauth2.AuthStyleInParams
		if captured.basicAuth {
			style = oauth2.AuthStyleInHeader
		}
		o.detected.Store(int32(style))
	}
	now := o.opts.now()
	// Expiry is read here rather than from tok.Expiry so that it follows
	// Options.Now, and so that refresh_in is honoured.
	holder := map[string]any{}
	for _, name := range []string{"expires_in", "expires_on", "refresh_in"} {
		if v := tok.Extra(name); v != nil {
			holder[name] = v
		}
	}
	at := credential.AccessToken{Token: tok.AccessToken}
	if at.ExpiresOn, err = expiryOf(holder, now); err != nil {
		return credential.AccessToken{}, o.fail(err)
	}
	if at.RefreshOn, err = refreshOnOf(holder, now); err != nil {
		return credential.AccessToken{}, o.fail(err)
	}
	if !isTokenText(at.Token) {
		return credential.AccessToken{}, o.fail(errors.New("access_token is not a token (has spaces or control characters)"))
	}
	if at, err = finishToken(at, now); err != nil {
		return credential.AccessToken{}, o.fail(err)
	}
	if info != nil {
		info.Signature = o.keys.check(callCtx, at.Token)
	}
	return at, nil
}

// authStyle is the configured style, or the detected one once known.
func (o *OAuth2) authStyle() oauth2.AuthStyle {
	if o.conf.AuthStyle == oauth2.AuthStyleAutoDetect {
		return oauth2.AuthStyle(o.detected.Load()) // AutoDetect (0) until detected
	}
	return o.conf.AuthStyle
}

// describe turns an x/oauth2 error into one that says what the server did,
// using the captured response where x/oauth2's message is vague.
func (o *OAuth2) describe(callCtx context.Context, timeout time.Duration, err error, captured *capturedBody) error {
	var retrieve *oauth2.RetrieveError
	if errors.As(err, &retrieve) && retrieve.Response != nil {
		status := retrieve.Response.StatusCode
		if status >= 200 && status <= 299 {
			return fmt.Errorf("response is an error, not a token: %s", o.retrieveErrorText(retrieve))
		}
		return &StatusError{
			StatusCode: status,
			RetryAfter: retryAfter(retrieve.Response.Header.Get("Retry-After"), o.opts.now()),
			Excerpt:    o.retrieveErrorText(retrieve),
		}
	}
	if captured.body != nil && captured.status >= 200 && captured.status <= 299 {
		// x/oauth2 could not read a 2xx response: let the parser say why.
		if _, perr := parseTokenResponse(captured.body, captured.contentType, "access_token", o.opts.now()); perr != nil {
			return perr
		}
	}
	return describeCallError(callCtx, timeout, err)
}

// retrieveErrorText is the server's error code and description, or the
// start of its body, with the client secret redacted.
func (o *OAuth2) retrieveErrorText(e *oauth2.RetrieveError) string {
	if e.ErrorCode != "" {
		return joinExcerpts(o.secrets, e.ErrorCode, e.ErrorDescription)
	}
	return o.secrets.excerpt(e.Body)
}

var _ Issuer = (*OAuth2)(nil)
