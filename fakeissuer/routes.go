package fakeissuer

import (
	"fmt"
	"net/http"
)

// Route paths of the handler.
const (
	PathGetToken         = "/getToken"
	PathGetTokenForTeams = "/getTokenForTeamsUser"
	PathOpenIDConfig     = "/.well-known/openid-configuration"
	PathJWKS             = "/jwks"
	PathOAuth2Token      = "/oauth2/token"
	PathOAuth2Authorize  = "/oauth2/authorize"
	PathMe               = "/api/me"
	PathAdminFaults      = "/admin/faults"
	PathAdminStats       = "/admin/stats"
	PathAdminRevoke      = "/admin/revoke"
	// PathOAuth2Device is the device authorization endpoint (RFC 8628).
	PathOAuth2Device = "/oauth2/device_authorization"
	// PathOAuth2Revoke is the token revocation endpoint (RFC 7009).
	PathOAuth2Revoke = "/oauth2/revoke"
	// PathDevice is the verification URI of device sign-ins.
	PathDevice = "/device"
	// PathAdminRefresh reads and changes the refresh and device policies.
	PathAdminRefresh = "/admin/refresh"
	// PathAdminFamilies lists refresh-token families.
	PathAdminFamilies = "/admin/families"
	// PathAdminDevice approves or denies a device sign-in by its user code.
	PathAdminDevice       = "/admin/device"
	pathAdminFamilyRevoke = "/admin/families/{id}/revoke"
	pathAdminFaultByID    = "/admin/faults/{id}"
	realm                 = "tokentop-fakeissuer"
)

// buildHandler registers every route group. A new group (say the ACS
// Identity REST emulation) adds one line here, or registers later with
// Handle.
func (i *Issuer) buildHandler() {
	i.mux = http.NewServeMux()
	i.appServerRoutes()
	i.oauthRoutes()
	i.resourceRoutes()
	i.adminRoutes()
	i.acsRoutes()
	i.metricsRoutes()
	i.mux.HandleFunc("/", notFound)
	i.handler = hygiene(i.mux)
}

// Handler returns the HTTP handler with every route. Unknown paths get a
// JSON 404, wrong methods a JSON 405, oversize bodies a JSON 413. Served
// other than by Serve (say by httptest), it trusts only loopback Host names:
// the admin routes and the discovery document refuse any other.
func (i *Issuer) Handler() http.Handler { return i.handler }

// Handle registers an extra route on the issuer's mux (net/http pattern
// syntax); it gets the same body limit and panic safety as the built-in ones.
func (i *Issuer) Handle(pattern string, h http.Handler) { i.mux.Handle(pattern, h) }

// handle registers path with its handler: methods or oauthMethods, perhaps
// wrapped (guardAdmin).
func (i *Issuer) handle(path string, h http.Handler) { i.mux.Handle(path, i.countMints(path, h)) }

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
}
