package issuer

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"tokentop/credential"
)

// ACSAPIVersion is the api-version of the ACS Identity REST API calls, the
// one the official client libraries send.
const ACSAPIVersion = "2023-10-01"

// The token lifetimes ACS issues, in minutes; a request without one gets
// the service's default of 24 hours.
const (
	MinACSTokenMinutes = 60
	MaxACSTokenMinutes = 1440
)

// Limits of the ACS adapter.
const (
	// MaxACSUsers is how many identities one ACS adapter creates users for
	// (a scenario holds at most 100,000 sessions).
	MaxACSUsers = 100_000
	// maxConnectionStringFileBytes bounds a connection-string file: a
	// connection string is about 150 bytes.
	maxConnectionStringFileBytes = 4 << 10
	// minACSKeyBytes is the shortest access key taken (ACS keys are 64 bytes).
	minACSKeyBytes = 16
	// maxACSUserIDBytes bounds a user id the service returns.
	maxACSUserIDBytes = 1 << 10
	// acsCloseTimeout bounds Close's deletion of the users; each DELETE is
	// also bounded by Options.Timeout.
	acsCloseTimeout = 30 * time.Second
	// acsCloseWorkers is how many DELETEs Close sends at once.
	acsCloseWorkers = 8
)

// DefaultACSScopes returns the scopes of a token request that names none
// (chat and voip), when the config names none either.
func DefaultACSScopes() []string { return []string{"chat", "voip"} }

// acsScopes are the scopes the service knows; a spec's scope= must be one.
var acsScopes = []string{"chat", "voip", "chat.join", "chat.join.limited", "voip.join"}

// ErrClosed reports a call to an adapter after its Close.
var ErrClosed = errors.New("the issuer is closed")

// ACSConfig describes the Azure Communication Services Identity API of one
// resource. Exactly one of ConnectionString, ConnectionStringEnv and
// ConnectionStringFile is set.
type ACSConfig struct {
	// ConnectionString is "endpoint=https://HOST/;accesskey=BASE64" itself,
	// for programs that hold it; a spec never carries it.
	ConnectionString string
	// ConnectionStringEnv names the environment variable holding it.
	ConnectionStringEnv string
	// ConnectionStringFile is a file holding it (surrounding space trimmed).
	ConnectionStringFile string
	// Scopes are asked for when a request names none; empty means
	// DefaultACSScopes().
	Scopes []string
	// KeepUsers keeps the users the adapter created when it is closed;
	// by default Close deletes them.
	KeepUsers bool
	// Keys says where the tokens' signing keys are, to check their
	// signatures (CallInfo.Signature); the zero value checks none.
	Keys KeySource
}

// check reports what is missing or contradictory, without reading secrets.
func (c ACSConfig) check() error {
	sources := 0
	for _, s := range []string{c.ConnectionString, c.ConnectionStringEnv, c.ConnectionStringFile} {
		if s != "" {
			sources++
		}
	}
	if sources != 1 {
		return errors.New("give the connection string's source once: connection_string_env=ENV_VAR or connection_string_file=PATH")
	}
	for _, s := range c.Scopes {
		if !slices.Contains(acsScopes, s) {
			return fmt.Errorf("scope %s is not an ACS scope; use %s", printableName(s), strings.Join(acsScopes, ", "))
		}
	}
	return nil
}

// ACS issues Azure Communication Services user tokens through the Identity
// REST API, signing each request with the connection string's access key
// (HMAC-SHA256, as the official client libraries do). It creates one
// Communication user per identity the first time the identity asks for a
// token, and remembers it for the rest of the run; Revoke revokes the user's
// tokens, and Close deletes the users it created unless KeepUsers. It is safe
// for concurrent use.
type ACS struct {
	// reporter names the endpoint and holds the connection string and its
	// key, to redact.
	reporter
	secretTexts []string // the connection string and its key, for the redactor of each failed call
	base        *url.URL // the endpoint: scheme and host, and a path prefix without the trailing /
	key         []byte
	scopes      []string
	keep        bool
	client      *http.Client
	opts        Options
	keys        *keySet // nil: signatures are not checked

	mu       sync.Mutex
	users    map[string]*acsUser // by identity
	closed   bool
	deleted  []string       // identities whose users Close deleted, sorted
	creating sync.WaitGroup // user creations in flight; Close waits for them
}

// NewACS checks cfg, reads the connection string and returns the adapter.
func NewACS(cfg ACSConfig, opts Options) (*ACS, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("acs issuer: %w", err)
	}
	conn, err := readConnectionString(cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("acs issuer: %w", err)
	}
	base, key, keyText, err := parseConnectionString(conn)
	if err != nil {
		return nil, fmt.Errorf("acs issuer: connection string: %w", err)
	}
	scopes := slices.Clone(cfg.Scopes)
	if len(scopes) == 0 {
		scopes = DefaultACSScopes()
	}
	client := adapterClient(opts.httpClient())
	keys, err := newKeySet(cfg.Keys, client, opts)
	if err != nil {
		return nil, fmt.Errorf("acs issuer: %w", err)
	}
	return &ACS{
		reporter:    reporter{endpoint: "acs " + redactURL(base) + "/", secrets: newRedactor(conn, keyText)},
		secretTexts: []string{conn, keyText},
		base:        base,
		key:         key,
		scopes:      scopes,
		keep:        cfg.KeepUsers,
		client:      client,
		opts:        opts,
		keys:        keys,
		users:       map[string]*acsUser{},
	}, nil
}

// readConnectionString reads the connection string from where cfg says.
func readConnectionString(cfg ACSConfig, opts Options) (string, error) {
	switch {
	case cfg.ConnectionString != "":
		return strings.TrimSpace(cfg.ConnectionString), nil
	case cfg.ConnectionStringEnv != "":
		v, ok := opts.lookupEnv(cfg.ConnectionStringEnv)
		if v = strings.TrimSpace(v); !ok || v == "" {
			return "", fmt.Errorf("environment variable %s (connection_string_env) is not set", cfg.ConnectionStringEnv)
		}
		return v, nil
	}
	return readSecretFile(cfg.ConnectionStringFile, "connection_string_file", "connection string", maxConnectionStringFileBytes, strings.TrimSpace)
}

// readSecretFile reads the secret (what, e.g. "client secret") in the file
// path that option names, at most limit bytes: the size a file reports
// cannot be trusted (0 for /dev/zero, a pipe), so the read itself is
// bounded, and a larger file is an error (a wrong path). trim cleans the
// text; an empty result is an error.
func readSecretFile(path, option, what string, limit int, trim func(string) string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read the %s (%s): %w", what, option, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return "", fmt.Errorf("cannot read the %s (%s): %w", what, option, err)
	}
	if len(b) > limit {
		return "", fmt.Errorf("%s %s holds more than %d KiB, too much for a %s; is it the right file?", option, path, limit>>10, what)
	}
	secret := trim(string(b))
	if secret == "" {
		return "", fmt.Errorf("%s %s is empty", option, path)
	}
	return secret, nil
}

// parseConnectionString reads "endpoint=https://HOST/;accesskey=BASE64"
// (names in any case, parts in any order). It returns the endpoint without
// its trailing slash, the decoded key and the key as written. Errors never
// quote the connection string.
func parseConnectionString(s string) (base *url.URL, key []byte, keyText string, err error) {
	var endpoint string
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if !ok {
			return nil, nil, "", errors.New("a part without =: want endpoint=https://HOST/;accesskey=KEY")
		}
		switch name {
		case "endpoint":
			endpoint = value
		case "accesskey":
			keyText = value
		default:
			return nil, nil, "", fmt.Errorf("unknown part %s: want endpoint=https://HOST/;accesskey=KEY", printableName(name))
		}
	}
	if endpoint == "" || keyText == "" {
		return nil, nil, "", errors.New("want endpoint=https://HOST/;accesskey=KEY, as the Azure portal shows it under Keys")
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, nil, "", errors.New("endpoint: want https://HOST/")
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return nil, nil, "", fmt.Errorf("endpoint %s: http sends the tokens in clear; use https (http is taken for a loopback emulator only)", redactURL(u))
	}
	// Sign the host as a client library does: without a default port.
	if p := u.Port(); (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
		u.Host = strings.TrimSuffix(u.Host, ":"+p)
	}
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/"), ""
	key, err = base64.StdEncoding.DecodeString(keyText)
	if err != nil {
		return nil, nil, "", errors.New("accesskey is not standard base64; copy it whole from the Azure portal's Keys page")
	}
	if len(key) < minACSKeyBytes {
		return nil, nil, "", fmt.Errorf("accesskey decodes to %d bytes; ACS keys are 64", len(key))
	}
	return u, key, keyText, nil
}

// isLoopbackHost says whether host (no port) names this machine.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Name is "acs" and the endpoint.
func (a *ACS) Name() string { return a.endpoint }

// Issue returns a token for r.Identity's Communication user, creating the
// user on the identity's first call. r.Scopes (or the configured scopes when
// it has none) are asked for, and r.Lifetime, which must be zero (the
// service's 24 hours) or whole minutes from 60 to 1440. If ctx carries a
// CallInfo, it is filled with the token request's HTTP timings and the
// token's signature check.
func (a *ACS) Issue(ctx context.Context, r Request) (credential.AccessToken, error) {
	if strings.TrimSpace(r.Identity) == "" {
		return credential.AccessToken{}, a.fail(errors.New("the token request names no identity; set Request.Identity"))
	}
	minutes, err := acsMinutes(r.Lifetime)
	if err != nil {
		return credential.AccessToken{}, a.fail(err)
	}
	scopes := r.Scopes
	if len(scopes) == 0 {
		scopes = a.scopes
	}
	timeout := a.opts.timeout()
	callCtx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	defer cancel()

	id, err := a.userID(callCtx, timeout, r.Identity)
	if err != nil {
		return credential.AccessToken{}, a.fail(err)
	}
	body, err := json.Marshal(acsTokenRequest{Scopes: scopes, ExpiresInMinutes: minutes})
	if err != nil {
		return credential.AccessToken{}, a.fail(fmt.Errorf("cannot encode the token request: %w", err))
	}
	// The timings are the token request's: a user's creation is once per run.
	info := CallInfoFrom(ctx)
	reqCtx, trace := traceCall(callCtx, info, nil)
	resp, err := a.call(reqCtx, timeout, http.MethodPost, a.identityURL(id, ":issueAccessToken"), body)
	trace.report(info, resp.status, int64(len(resp.body)))
	if err != nil {
		return credential.AccessToken{}, a.fail(fmt.Errorf("issue a token to %s (user %s): %w", r.Identity, id, err))
	}
	tok, err := parseTokenResponse(resp.body, resp.contentType, "token", a.opts.now())
	if err != nil {
		return credential.AccessToken{}, a.fail(fmt.Errorf("issue a token to %s (user %s): %w", r.Identity, id, err))
	}
	if info != nil {
		info.Signature = a.keys.check(callCtx, tok.Token)
	}
	return tok, nil
}

// acsTokenRequest is the body of :issueAccessToken; zero minutes is left
// out, for the service's default.
type acsTokenRequest struct {
	Scopes           []string `json:"scopes"`
	ExpiresInMinutes int      `json:"expiresInMinutes,omitempty"`
}

// acsMinutes converts a requested lifetime to ACS's expiresInMinutes: 0 for
// none (the service's default), else whole minutes in range.
func acsMinutes(lifetime time.Duration) (int, error) {
	if lifetime == 0 {
		return 0, nil
	}
	minutes := lifetime / time.Minute
	if lifetime%time.Minute != 0 || minutes < MinACSTokenMinutes || minutes > MaxACSTokenMinutes {
		return 0, &LifetimeError{Lifetime: lifetime}
	}
	return int(minutes), nil
}

// LifetimeError reports a token lifetime ACS does not issue. It is
// permanent (see credential.PermanentError): asking again cannot succeed.
type LifetimeError struct {
	// Lifetime is the lifetime asked for.
	Lifetime time.Duration
}

// Error names the lifetime asked for and the range ACS issues.
func (e *LifetimeError) Error() string {
	return fmt.Sprintf("lifetime %v: ACS issues tokens of whole minutes from %d to %d (1h to 24h); set the session's lifetime within that range, or to \"0s\" in a scenario file for the service's 24h",
		e.Lifetime, MinACSTokenMinutes, MaxACSTokenMinutes)
}

// Permanent reports true: the same request fails the same way.
func (e *LifetimeError) Permanent() bool { return true }

// identityURL is the URL of a user, or of an action on it (":issueAccessToken").
// The id is escaped as encodeURIComponent does, as the client libraries send
// it ("8:acs:..." as "8%3Aacs%3A...").
func (a *ACS) identityURL(id, action string) *url.URL {
	u := *a.base
	plain, raw := u.Path+"/identities/"+id, u.EscapedPath()+"/identities/"+encodeURIComponent(id)
	if action != "" {
		plain, raw = plain+"/"+action, raw+"/"+action
	}
	u.Path, u.RawPath = plain, raw
	u.RawQuery = "api-version=" + ACSAPIVersion
	return &u
}

// encodeURIComponent escapes s as JavaScript's encodeURIComponent: every
// byte but letters, digits and -_.!~*'() is percent-encoded.
func encodeURIComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// acsResponse is an answer, read whole.
type acsResponse struct {
	status      int
	body        []byte
	contentType string
}

// call sends one signed request (body nil for none) and returns its
// answer; a status other than 2xx is also a *StatusError.
func (a *ACS) call(ctx context.Context, timeout time.Duration, method string, u *url.URL, body []byte) (acsResponse, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reader)
	if err != nil {
		return acsResponse{}, fmt.Errorf("cannot build the request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "tokentop")
	// As the client libraries do: the service logs it, which helps its
	// support find a failed call.
	req.Header.Set("x-ms-client-request-id", newRequestID())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	signature := signACSRequest(req, body, a.key, a.opts.now())
	resp, err := a.client.Do(req)
	if err != nil {
		return acsResponse{}, describeCallError(ctx, timeout, err)
	}
	got, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes)) // the limit transport has refused more
	resp.Body.Close()
	answer := acsResponse{status: resp.StatusCode, body: got, contentType: resp.Header.Get("Content-Type")}
	if err != nil {
		return answer, describeCallError(ctx, timeout, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// The signature authorises this request for a quarter of an hour:
		// a server echoing it does not get it printed either.
		redact := newRedactor(append(slices.Clip(a.secretTexts), signature)...)
		return answer, newStatusError(resp, got, a.opts.now(), redact)
	}
	return answer, nil
}

// newRequestID returns a random (version 4) UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// acsSignedHeaders are the headers an ACS request signs, in order.
const acsSignedHeaders = "x-ms-date;host;x-ms-content-sha256"

// signACSRequest signs req as the ACS client libraries do: x-ms-date (RFC
// 1123, GMT) and x-ms-content-sha256 (base64 SHA-256 of body) are set, and
// Authorization carries base64 HMAC-SHA256(key, VERB\nPATH_AND_QUERY\nDATE;HOST;HASH),
// the signature returned.
func signACSRequest(req *http.Request, body, key []byte, now time.Time) string {
	sum := sha256.Sum256(body)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	date := now.UTC().Format(http.TimeFormat)
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(req.Method + "\n" + req.URL.RequestURI() + "\n" + date + ";" + host + ";" + hash))
	req.Header.Set("x-ms-date", date)
	req.Header.Set("x-ms-content-sha256", hash)
	signature := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	req.Header.Set("Authorization", "HMAC-SHA256 SignedHeaders="+acsSignedHeaders+"&Signature="+signature)
	return signature
}

// parseACSSpec reads the part of an acs: spec after "acs:".
func parseACSSpec(s string) (ACSConfig, error) {
	var cfg ACSConfig
	err := parsePairs(s, func(key, val string) error {
		if k := strings.ToLower(key); k == "connection_string" || k == "endpoint" || k == "accesskey" || strings.Contains(val, ";") {
			return errors.New("a connection string never goes in the spec (it would show in ps and shell history); use connection_string_env=VAR or connection_string_file=PATH")
		}
		switch key {
		case "connection_string_env":
			cfg.ConnectionStringEnv = val
		case "connection_string_file":
			cfg.ConnectionStringFile = val
		case "scope":
			cfg.Scopes = append(cfg.Scopes, strings.Fields(val)...)
		case "jwks", "issuer_url":
			return cfg.Keys.setOption(key, val)
		case "keep_users":
			switch val {
			case "true":
				cfg.KeepUsers = true
			case "false":
				cfg.KeepUsers = false
			default:
				return errors.New("key keep_users: want true or false")
			}
		default:
			return fmt.Errorf("unknown key %s; want connection_string_env, connection_string_file, scope, keep_users, %s", printableName(key), keyOptionNames)
		}
		return nil
	})
	if err == nil {
		err = cfg.check()
	}
	if err != nil {
		return ACSConfig{}, err
	}
	return cfg, nil
}

var (
	_ Issuer    = (*ACS)(nil)
	_ Revoker   = (*ACS)(nil)
	_ io.Closer = (*ACS)(nil)
)
