package fakeissuer

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Routes of the ACS Identity REST API emulation. The identity routes and the
// Teams exchange are authenticated with HMAC-SHA256 (see ACSOptions); the
// Entra exchanges with a bearer token from /oauth2/token.
const (
	PathACSIdentities             = "/identities"
	PathACSIdentity               = "/identities/{id}"
	PathACSIssueAccessToken       = "/identities/{id}/:issueAccessToken"
	PathACSRevokeAccessTokens     = "/identities/{id}/:revokeAccessTokens"
	PathACSTeamsUserExchange      = "/teamsUser/:exchangeAccessToken"
	PathACSEntraExchange          = "/access/entra/:exchangeAccessToken"
	PathACSTeamsExtensionExchange = "/access/teamsExtension/:exchangeAccessToken"
)

// API versions of the ACS emulation.
const (
	// ACSAPIVersion is the api-version of the identity routes that the client
	// libraries send today.
	ACSAPIVersion = "2023-10-01"
	// ACSEntraAPIVersion is the api-version of /access/entra/:exchangeAccessToken.
	ACSEntraAPIVersion = "2025-03-02-preview"
	// ACSTeamsExtensionAPIVersion is the api-version of
	// /access/teamsExtension/:exchangeAccessToken.
	ACSTeamsExtensionAPIVersion = "2025-06-30"
)

// Token lifetimes the identity routes accept, in minutes, as the service does.
const (
	MinACSTokenMinutes     = 60
	MaxACSTokenMinutes     = 1440
	DefaultACSTokenMinutes = MaxACSTokenMinutes
)

// MaxACSClockSkew is how far a signed request's date may be from the
// server's (wall-clock) time.
const MaxACSClockSkew = 15 * time.Minute

// acsKeyBytes is the size of a generated access key; ACS keys are 64 bytes.
const acsKeyBytes = 64

// minACSKeyBytes is the shortest access key accepted from configuration.
const minACSKeyBytes = 16

// identityAPIVersions are the api-versions the identity and Teams routes serve.
var identityAPIVersions = []string{ACSAPIVersion, "2022-10-01", "2021-03-07"}

// acsScopes are the token scopes the identity routes accept.
var acsScopes = []string{"chat", "voip", "chat.join", "chat.join.limited", "voip.join"}

// ACSOptions configure the ACS Identity REST API emulation.
type ACSOptions struct {
	// AccessKey is the base64 access key of the connection string: the
	// client libraries sign requests with its decoded bytes. Empty means a
	// 64-byte key generated at start.
	AccessKey string
}

// acsService is the ACS emulation's configuration.
type acsService struct {
	key       []byte
	keyBase64 string
	generated bool
	// now is the time signed request dates are checked against. It is the
	// wall clock, not the issuer's (possibly time-warped) clock, because
	// clients sign with their own wall clock.
	now func() time.Time
}

// newACSService decodes (or generates) the access key.
func newACSService(opts ACSOptions) (*acsService, error) {
	s := &acsService{now: time.Now}
	if opts.AccessKey == "" {
		s.key = make([]byte, acsKeyBytes)
		_, _ = rand.Read(s.key) // crypto/rand.Read never fails
		s.keyBase64 = base64.StdEncoding.EncodeToString(s.key)
		s.generated = true
		return s, nil
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(opts.AccessKey))
	if err != nil {
		return nil, fmt.Errorf("the ACS access key is not standard base64 (%v); give the accesskey part of a connection string, or leave it empty to generate one", err)
	}
	if len(key) < minACSKeyBytes {
		return nil, fmt.Errorf("the ACS access key decodes to %d bytes; use at least %d (ACS keys are %d)", len(key), minACSKeyBytes, acsKeyBytes)
	}
	s.key, s.keyBase64 = key, strings.TrimSpace(opts.AccessKey)
	return s, nil
}

// initACS sets up the ACS emulation and the upstream token cache from opts;
// New calls it before building the handler.
func (i *Issuer) initACS(opts Options) error {
	acs, err := newACSService(opts.ACS)
	if err != nil {
		return err
	}
	cache, err := newUpstreamCache(opts.UpstreamCache)
	if err != nil {
		return err
	}
	i.acs, i.upstreamCache = acs, cache
	return nil
}

// ACSAccessKey returns the base64 access key that ACS clients sign requests
// with. It is a secret: do not print it unless the user asked to see secrets.
func (i *Issuer) ACSAccessKey() string { return i.acs.keyBase64 }

// ACSAccessKeyGenerated reports whether the access key was generated at
// start rather than configured.
func (i *Issuer) ACSAccessKeyGenerated() bool { return i.acs.generated }

// ACSConnectionString returns the connection string the ACS client libraries
// take, for the issuer served at endpoint (e.g. "http://127.0.0.1:8080"). It
// contains the access key.
func (i *Issuer) ACSConnectionString(endpoint string) string {
	return ACSConnectionString(endpoint, i.acs.keyBase64)
}

// ACSConnectionString formats an ACS connection string,
// "endpoint=<endpoint>/;accesskey=<key>".
func ACSConnectionString(endpoint, accessKey string) string {
	return "endpoint=" + strings.TrimRight(endpoint, "/") + "/;accesskey=" + accessKey
}

// acsRoutes registers the ACS Identity REST API emulation.
func (i *Issuer) acsRoutes() {
	hmacAuth := func(h http.HandlerFunc) http.HandlerFunc {
		return i.requireACSSignature(requireAPIVersion(identityAPIVersions, h))
	}
	i.handle(PathACSIdentities, methods{http.MethodPost: hmacAuth(i.serveACSCreateIdentity)})
	i.handle(PathACSIdentity, methods{http.MethodDelete: hmacAuth(i.serveACSDeleteIdentity)})
	i.handle(PathACSIssueAccessToken, methods{http.MethodPost: hmacAuth(i.serveACSIssueAccessToken)})
	i.handle(PathACSRevokeAccessTokens, methods{http.MethodPost: hmacAuth(i.serveACSRevokeAccessTokens)})
	i.handle(PathACSTeamsUserExchange, methods{http.MethodPost: hmacAuth(i.serveACSTeamsUserExchange)})
	i.handle(PathACSEntraExchange, methods{http.MethodPost: requireAPIVersion([]string{ACSEntraAPIVersion},
		i.serveACSEntraExchange(entraCommunicationClients))})
	i.handle(PathACSTeamsExtensionExchange, methods{http.MethodPost: requireAPIVersion([]string{ACSTeamsExtensionAPIVersion},
		i.serveACSEntraExchange(entraTeamsExtension))})
}

// requireAPIVersion refuses a request whose api-version query parameter is
// missing or not one of versions, as the service's API versioning does.
func requireAPIVersion(versions []string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got, ok := r.URL.Query()["api-version"]
		switch {
		case !ok || len(got) == 0 || got[0] == "":
			writeError(w, http.StatusBadRequest, "ApiVersionUnspecified",
				fmt.Sprintf("an API version is required, but was not specified; add ?api-version=%s", versions[0]))
		case len(got) > 1:
			writeError(w, http.StatusBadRequest, "AmbiguousApiVersion",
				fmt.Sprintf("the request names %d API versions (%s); send one", len(got), strings.Join(got, ", ")))
		case !slices.Contains(versions, got[0]):
			writeError(w, http.StatusBadRequest, "UnsupportedApiVersion",
				fmt.Sprintf("the HTTP resource that matches the request URI '%s' does not support the API version '%s'; supported: %s",
					r.URL.Path, got[0], strings.Join(versions, ", ")))
		default:
			next(w, r)
		}
	}
}
