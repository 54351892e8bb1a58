package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"tokentop/fakeissuer"
)

// Environment variables holding the fake issuer's OAuth2 client credentials.
const (
	envFakeClientID     = "TOKENTOP_FAKEISSUER_CLIENT_ID"
	envFakeClientSecret = "TOKENTOP_FAKEISSUER_CLIENT_SECRET"
	envACSAccessKey     = "TOKENTOP_ACS_ACCESS_KEY"
	envAdminToken       = "TOKENTOP_ADMIN_TOKEN"
)

// fakeIssuerConfig is the command line of `tokentop fakeissuer`.
type fakeIssuerConfig struct {
	listen           string
	publicURL        string
	alg              string
	keyFile          string
	issuerURL        string
	audience         string
	lifetime         time.Duration
	speed            float64
	clientSecretFile string
	adminTokenFile   string
	showSecrets      bool
	upstreamCache    bool
	renewalOffset    time.Duration
}

// runFakeIssuerContext runs `tokentop fakeissuer [flags]`: the fake issuer
// as a standalone HTTP server, until ctx ends. It returns the exit code.
func runFakeIssuerContext(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var cfg fakeIssuerConfig
	fs := pflag.NewFlagSet("tokentop fakeissuer", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8080", "address to listen on (loopback by default)")
	fs.StringVar(&cfg.alg, "alg", "", "signing algorithm: ES256 (default), RS256 or HS256")
	fs.StringVar(&cfg.keyFile, "key-file", "", "PEM private key to sign with (HS256: a raw secret); default: a key generated at start")
	fs.StringVar(&cfg.publicURL, "public-url", "", "URL clients reach the server at, if not http://LISTEN-ADDRESS (a proxy): discovery points there and the admin API accepts its host")
	fs.StringVar(&cfg.issuerURL, "issuer-url", "", "iss claim and OIDC issuer (default: the public URL, else http://LISTEN-ADDRESS)")
	fs.StringVar(&cfg.audience, "audience", "", "aud claim of ACS-style tokens (default "+fakeissuer.DefaultAudience+")")
	fs.DurationVar(&cfg.lifetime, "lifetime", fakeissuer.DefaultLifetime, "token lifetime when a request asks for none")
	fs.Float64Var(&cfg.speed, "speed", 1, "time warp: token lifetimes are divided by it (at 60 an hour-long token expires a real minute after it is issued, with the hour in its "+fakeissuer.ClaimNominalLifetime+" claim); times stay real, so any verifier accepts the tokens; fault latencies and outages are not warped")
	fs.StringVar(&cfg.clientSecretFile, "client-secret-file", "", "file holding the OAuth2 client secret (else $"+envFakeClientSecret+", else generated)")
	fs.StringVar(&cfg.adminTokenFile, "admin-token-file", "", "file holding the bearer token the admin API requires (else $"+envAdminToken+"; required beyond loopback)")
	fs.BoolVar(&cfg.showSecrets, "show-secrets", false, "print the OAuth2 client secret and the ACS connection string's access key at start")
	fs.BoolVar(&cfg.upstreamCache, "upstream-cache", false, "answer /oauth2/token from an MSAL-like cache (force_refresh=true skips it)")
	fs.DurationVar(&cfg.renewalOffset, "upstream-renewal-offset", fakeissuer.DefaultUpstreamRenewalOffset, "with --upstream-cache: renew a cached token this long before it expires")
	fs.Usage = func() {} // --help prints below, to stdout; errors say "see --help"
	printHelp := func() { printFakeIssuerHelp(stdout, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printHelp()
			return 0
		}
		fmt.Fprintf(stderr, "tokentop fakeissuer: %v; see --help\n", flagError(err))
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tokentop fakeissuer: unexpected argument %q; see --help\n", fs.Arg(0))
		return 2
	}
	if err := checkFakeIssuerConfig(cfg); err != nil {
		fmt.Fprintf(stderr, "tokentop fakeissuer: %v\n", err)
		return 2
	}
	if err := serveFakeIssuer(ctx, cfg, getenv, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "tokentop fakeissuer: %v\n", err)
		return 1
	}
	return 0
}

// printFakeIssuerHelp writes `tokentop fakeissuer --help`: flags,
// endpoints, the admin API's fault fields, and examples.
func printFakeIssuerHelp(w io.Writer, fs *pflag.FlagSet) {
	var endpoints strings.Builder
	for _, e := range [][2]string{
		{"POST " + fakeissuer.PathGetToken + ` {"username": "alice"}`, "an ACS sample app server's token"},
		{"POST " + fakeissuer.PathGetTokenForTeams + ` {"teamsToken": "..."}`, "an ACS token for a Teams token"},
		{"GET  " + fakeissuer.PathOpenIDConfig, "OIDC discovery"},
		{"GET  " + fakeissuer.PathJWKS, "the signing keys (JWKS)"},
		{"POST " + fakeissuer.PathOAuth2Token, "OAuth2 client credentials"},
		{"GET  " + fakeissuer.PathMe + " (Bearer TOKEN)", "a resource: 200 with the claims, or 401 saying why"},
		{"GET|POST|DELETE " + fakeissuer.PathAdminFaults, "admin: list, inject, clear faults"},
		{"DELETE " + fakeissuer.PathAdminFaults + "/ID", "admin: remove one fault"},
		{"GET  " + fakeissuer.PathAdminStats + "?offset=N&limit=M", "admin: counters per identity"},
		{"POST " + fakeissuer.PathAdminRevoke + ` {"identity": "alice"}`, "admin: revoke an identity's tokens"},
		{"POST /identities, /identities/ID/:issueAccessToken...", "the ACS Identity REST API (HMAC)"},
		{"GET  " + fakeissuer.PathMetrics, "Prometheus metrics: tokens minted, faults applied, ..."},
	} {
		fmt.Fprintf(&endpoints, "  %-54s %s\n", e[0], e[1])
	}
	fmt.Fprintf(w, `Usage: tokentop fakeissuer [flags]

Runs the fake token issuer as an HTTP server until interrupted (Ctrl-C).
The OAuth2 client id comes from $%[1]s (default %[2]q), its secret from
$%[3]s or --client-secret-file (else one is generated).

Flags:
%[4]s
Endpoints:
%[5]s
Admin API: JSON bodies with Content-Type: application/json; loopback Host names only, and
Authorization: Bearer TOKEN when $%[6]s or --admin-token-file sets a token (required
beyond loopback). A fault (POST %[7]s) has the fields of a scenario file's timeline step:
  fault         %[8]s
  for           how long it lasts, e.g. "2m" (required for down)
  count         how many calls it affects (default: every call while it lasts)
  status        the HTTP status of fail (default 500) or down (503)
  retry_after   the Retry-After sent with a 429 or 503, e.g. "3s"
  latency       the delay of latency, e.g. "2s"
  lifetime      the token lifetime of short-lifetime (default 5m)
  identity      only token requests for this identity
  Durations are Go durations ("1.5s", "2m") or numbers of seconds. The older names
  kind, duration and retryAfter are still read.

Examples:
  tokentop fakeissuer
  tokentop fakeissuer --listen 127.0.0.1:0 --speed 60 --alg RS256
  tokentop --issuer http://127.0.0.1:8080%[9]s --speed 1      (in another terminal)
  curl -d '{"username":"alice"}' http://127.0.0.1:8080%[9]s
  curl -H 'Content-Type: application/json' -d '{"fault":"fail","status":503,"count":2}' http://127.0.0.1:8080%[7]s
  curl -H 'Content-Type: application/json' -d '{"fault":"down","for":"2m"}' http://127.0.0.1:8080%[7]s
  curl -X DELETE http://127.0.0.1:8080%[7]s
`, envFakeClientID, fakeissuer.DefaultClientID, envFakeClientSecret, fs.FlagUsages(), endpoints.String(),
		envAdminToken, fakeissuer.PathAdminFaults, fakeissuer.FaultKindNames(), fakeissuer.PathGetToken)
}

// checkFakeIssuerConfig refuses flag values that parse but make no sense.
func checkFakeIssuerConfig(cfg fakeIssuerConfig) error {
	if err := checkListen(cfg.listen); err != nil {
		return err
	}
	if err := checkSpeed(cfg.speed); err != nil {
		return err
	}
	if cfg.lifetime <= 0 {
		return fmt.Errorf("--lifetime %v: want a positive duration such as 24h", cfg.lifetime)
	}
	if cfg.renewalOffset < 0 {
		return fmt.Errorf("--upstream-renewal-offset %v: want a positive duration such as 5m", cfg.renewalOffset)
	}
	if err := (fakeissuer.ServeOptions{PublicURL: cfg.publicURL}).Check(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		return fmt.Errorf("--public-url: %w", err)
	}
	return nil
}

// checkListen refuses a --listen that is not HOST:PORT, saying what to
// give instead (a bare port most often).
func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	switch {
	case err != nil && isPort(addr):
		return fmt.Errorf("--listen %s: want HOST:PORT; for port %s on this machine only, give --listen 127.0.0.1:%s", addr, addr, addr)
	case err != nil:
		return fmt.Errorf("--listen %q: want HOST:PORT, such as 127.0.0.1:8080 (port 0: any free port)", addr)
	case !isPort(port):
		return fmt.Errorf("--listen %s: the port %q is not a number from 0 to 65535", addr, port)
	}
	return nil
}

// isPort reports whether s is a TCP port number.
func isPort(s string) bool {
	_, err := strconv.ParseUint(s, 10, 16)
	return err == nil
}

func serveFakeIssuer(ctx context.Context, cfg fakeIssuerConfig, getenv func(string) string, stdout, stderr io.Writer) error {
	secret, secretSource, err := fakeClientSecret(cfg.clientSecretFile, getenv)
	if err != nil {
		return err
	}
	adminToken, adminTokenSource, err := fakeAdminToken(cfg.adminTokenFile, getenv)
	if err != nil {
		return err
	}
	ln, err := listenAsGiven(cfg.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server using the port? try --listen 127.0.0.1:0)", cfg.listen, err)
	}
	serveOpts := fakeissuer.ServeOptions{PublicURL: cfg.publicURL, AdminToken: adminToken}
	if err := serveOpts.Check(ln.Addr()); err != nil {
		ln.Close()
		if errors.Is(err, fakeissuer.ErrAdminTokenRequired) {
			return fmt.Errorf("listening on %s reaches beyond loopback, so the admin API needs a token: put one (at least %d characters) in $%s or a file named by --admin-token-file, or listen on 127.0.0.1",
				ln.Addr(), fakeissuer.MinAdminTokenLen, envAdminToken)
		}
		return err
	}
	bound := "http://" + ln.Addr().String()
	base := strings.TrimRight(fakeIssuerOr(strings.ToLower(cfg.publicURL), bound), "/")
	// The server stays on the real clock: a scaled clock would stamp iat and
	// nbf ahead of every verifier's clock. --speed divides lifetimes instead.
	iss, err := fakeissuer.New(fakeissuer.Options{
		Warp:            cfg.speed,
		Algorithm:       cfg.alg,
		KeyFile:         cfg.keyFile,
		IssuerURL:       fakeIssuerOr(cfg.issuerURL, base),
		Audience:        cfg.audience,
		DefaultLifetime: cfg.lifetime,
		ClientID:        fakeIssuerOr(getenv(envFakeClientID), fakeissuer.DefaultClientID),
		ClientSecret:    secret,
		ACS:             fakeissuer.ACSOptions{AccessKey: getenv(envACSAccessKey)},
		UpstreamCache:   fakeissuer.UpstreamCacheOptions{Enabled: cfg.upstreamCache, RenewalOffset: cfg.renewalOffset},
	})
	if err != nil {
		ln.Close()
		return err
	}
	if iss.ClientSecretGenerated() {
		secretSource = "generated at start"
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		fmt.Fprintf(stderr, "warning: listening on %s, which is reachable beyond loopback (from other machines); the admin API requires the admin token from %s; set --public-url to the URL clients use\n", ln.Addr(), adminTokenSource)
	}
	printFakeIssuerBanner(stdout, iss, bound, base, cfg, secretSource, adminTokenSource)
	if err := iss.ServeWith(ctx, ln, serveOpts); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintln(stdout, "tokentop fakeissuer: stopped")
	return nil
}

// listenAsGiven listens on addr, on IPv4 only for an IPv4 address and IPv6
// only for an IPv6 one, so that the address bound, and printed, is the one
// asked for: Go's "tcp" turns 0.0.0.0 into a dual-stack [::].
func listenAsGiven(addr string) (net.Listener, error) {
	network := "tcp"
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
			network = "tcp4"
		} else if ip != nil {
			network = "tcp6"
		}
	}
	return net.Listen(network, addr)
}

// fakeClientSecret returns the configured client secret and where it came
// from; an empty secret means one is generated.
func fakeClientSecret(file string, getenv func(string) string) (secret, source string, err error) {
	secret, source, err = secretFromFileOrEnv(file, envFakeClientSecret, getenv)
	if err != nil {
		return "", "", fmt.Errorf("read the client secret: %w", err)
	}
	if secret == "" {
		source = "generated at start"
	}
	return secret, source, nil
}

// fakeAdminToken returns the admin token and where it came from; both are
// empty when none is set.
func fakeAdminToken(file string, getenv func(string) string) (token, source string, err error) {
	token, source, err = secretFromFileOrEnv(file, envAdminToken, getenv)
	switch {
	case err != nil:
		return "", "", fmt.Errorf("read the admin token: %w", err)
	case token == "":
		return "", "", nil
	}
	return token, source, nil
}

// secretFromFileOrEnv reads a secret from file when one is named (a file
// holding only space is an error), else from the environment variable env.
// Secrets never come from a flag value, which other users can read.
func secretFromFileOrEnv(file, env string, getenv func(string) string) (secret, source string, err error) {
	if file != "" {
		b, err := fakeissuer.ReadFileLimited(file, fakeissuer.MaxSecretFileBytes)
		if err != nil {
			return "", "", err
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", "", fmt.Errorf("file %s is empty", file)
		}
		return s, "file " + file, nil
	}
	return getenv(env), "$" + env, nil
}

func printFakeIssuerBanner(w io.Writer, iss *fakeissuer.Issuer, bound, base string, cfg fakeIssuerConfig, secretSource, adminTokenSource string) {
	fmt.Fprintf(w, "tokentop fakeissuer: listening on %s (%s, kid %s, speed x%g)\n", bound, iss.Algorithm(), iss.KeyID(), cfg.speed)
	if cfg.speed != 1 {
		fmt.Fprintf(w, "  time warp     token lifetimes / %g, real iat, nbf and exp (an hour-long token lives %v); the nominal lifetime is in claim %s\n",
			cfg.speed, iss.WarpLifetime(time.Hour), fakeissuer.ClaimNominalLifetime)
	}
	if base != bound {
		fmt.Fprintf(w, "  public URL    %s\n", base)
	}
	fmt.Fprintf(w, "  app server    POST %s%s  {\"username\": \"alice\"}\n", base, fakeissuer.PathGetToken)
	fmt.Fprintf(w, "  teams         POST %s%s  {\"teamsToken\": \"...\"}\n", base, fakeissuer.PathGetTokenForTeams)
	fmt.Fprintf(w, "  oidc          GET  %s%s\n", base, fakeissuer.PathOpenIDConfig)
	fmt.Fprintf(w, "  jwks          GET  %s%s\n", base, fakeissuer.PathJWKS)
	tokenNote := "client_credentials"
	if cfg.upstreamCache {
		tokenNote += fmt.Sprintf("; cached until %v before expiry unless %s=true", cfg.renewalOffset, fakeissuer.ForceRefreshParam)
	}
	fmt.Fprintf(w, "  oauth2 token  POST %s%s  (%s)\n", base, fakeissuer.PathOAuth2Token, tokenNote)
	fmt.Fprintf(w, "  resource      GET  %s%s  (Authorization: Bearer TOKEN)\n", base, fakeissuer.PathMe)
	fmt.Fprintf(w, "  metrics       GET  %s%s  (Prometheus)\n", base, fakeissuer.PathMetrics)
	adminNote := "loopback names only, JSON bodies; no token (set $" + envAdminToken + " to require one)"
	if adminTokenSource != "" {
		adminNote = "Authorization: Bearer <admin token from " + adminTokenSource + ">"
	}
	fmt.Fprintf(w, "  faults        GET/POST/DELETE %s%s  (%s)\n", base, fakeissuer.PathAdminFaults, adminNote)
	secret := "not shown; --show-secrets prints it"
	if cfg.showSecrets {
		secret = iss.ClientSecret()
	}
	fmt.Fprintf(w, "  client id %q; client secret (%s): %s\n", iss.ClientID(), secretSource, secret)
	printACSConnectionString(w, iss, base, cfg.showSecrets)
	fmt.Fprintln(w, "  press Ctrl-C to stop")
}

func fakeIssuerOr(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

// printACSConnectionString prints the connection string of the ACS Identity
// REST emulation. Its access key is a secret: without --show-secrets it is
// elided, and the line says how to see it or set it.
func printACSConnectionString(w io.Writer, iss *fakeissuer.Issuer, base string, showSecrets bool) {
	source := "$" + envACSAccessKey
	if iss.ACSAccessKeyGenerated() {
		source = "generated at start; set $" + envACSAccessKey + " to choose it"
	}
	key := "<not shown; --show-secrets prints it>"
	if showSecrets {
		key = iss.ACSAccessKey()
	}
	fmt.Fprintf(w, "  acs identity  %s  (access key %s)\n", fakeissuer.ACSConnectionString(base, key), source)
}
