package fakeissuer

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Grant types of user sessions.
const (
	grantRefreshToken = "refresh_token"
	grantDeviceCode   = "urn:ietf:params:oauth:grant-type:device_code"
)

// deviceAuthResponse is an RFC 8628 §3.2 device authorization response.
type deviceAuthResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

func (i *Issuer) userGrantRoutes() {
	i.handle(PathOAuth2Device, oauthMethods{http.MethodPost: i.serveDeviceAuthorization})
	i.handle(PathOAuth2Revoke, oauthMethods{http.MethodPost: i.serveRevocation})
	i.handle(PathDevice, methods{http.MethodGet: serveDevicePage})
	i.userAdminRoutes()
}

// authenticatePublicClient lets a public client name itself with client_id
// alone (RFC 6749 §2.1, the device and refresh grants); a client that sends
// a secret must send the right one. It returns the client id, or a non-zero
// status.
func (i *Issuer) authenticatePublicClient(r *http.Request, form url.Values) (string, int, string, string) {
	id := form.Get("client_id")
	basicID, basicSecret, basic := r.BasicAuth()
	if basic && basicSecret == "" && !form.Has("client_secret") && (id == "" || id == basicID) {
		// Basic with an empty secret, as x/oauth2 sends for a public client.
		basic, id = false, basicID
		if v, err := url.QueryUnescape(basicID); err == nil {
			id = v
		}
	}
	if basic || form.Has("client_secret") {
		if status, code, msg := i.authenticateClient(r, form); status != 0 {
			return "", status, code, msg
		}
		return i.clientID, 0, "", ""
	}
	if id == "" {
		return "", http.StatusUnauthorized, "invalid_client", "no client_id; a public client names itself with the client_id form field"
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(i.clientID)) != 1 {
		return "", http.StatusUnauthorized, "invalid_client", fmt.Sprintf("client_id %.100q is unknown to this issuer", id)
	}
	return id, 0, "", ""
}

// readPublicClientForm reads an OAuth2 form from a client that may be
// public; on failure it has answered the request.
func (i *Issuer) readPublicClientForm(w http.ResponseWriter, r *http.Request) (url.Values, string, bool) {
	form, ok := i.readOAuthForm(w, r)
	if !ok {
		return nil, "", false
	}
	client, status, code, msg := i.authenticatePublicClient(r, form)
	if status != 0 {
		i.refuseClient(w, status, code, msg)
		return nil, "", false
	}
	return form, client, true
}

// serveUserGrant runs the refresh token and device code grants. A
// lose-response fault cuts the connection after the grant is made.
func (i *Issuer) serveUserGrant(w http.ResponseWriter, r *http.Request, form url.Values, gt string) {
	client, status, code, msg := i.authenticatePublicClient(r, form)
	if status != 0 {
		i.refuseClient(w, status, code, msg)
		return
	}
	var g UserGrant
	var err error
	if gt == grantRefreshToken {
		scopes, serr := parseScope(form.Get("scope"))
		if serr != nil {
			i.countFailure("")
			writeOAuthError(w, http.StatusBadRequest, "invalid_scope", serr.Error())
			return
		}
		g, err = i.RefreshGrant(r.Context(), RefreshRequest{ClientID: client, RefreshToken: form.Get("refresh_token"), Scopes: scopes})
	} else {
		g, err = i.PollDevice(r.Context(), DevicePoll{ClientID: client, DeviceCode: form.Get("device_code")})
	}
	if errors.Is(err, ErrResponseLost) {
		panic(http.ErrAbortHandler) // net/http cuts the connection and logs nothing
	}
	if err != nil {
		writeOAuthIssueError(w, err)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken:  g.AccessToken.Token,
		TokenType:    "Bearer",
		ExpiresIn:    ceilSeconds(g.AccessToken.ExpiresOn.Sub(i.clock.Now())),
		Scope:        strings.Join(g.Scopes, " "),
		RefreshToken: g.RefreshToken,
	})
}

// serveDeviceAuthorization is the device authorization endpoint (RFC 8628
// §3.1): public clients welcome.
func (i *Issuer) serveDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	base, ok := siteOf(r).baseURL(r)
	if !ok {
		writeOAuthError(w, http.StatusForbidden, "invalid_request", fmt.Sprintf(
			"the verification URI is built for localhost, 127.0.0.1 or [::1], or the public URL the server was started with; Host %.100q is none of them", r.Host))
		return
	}
	form, client, ok := i.readPublicClientForm(w, r)
	if !ok {
		return
	}
	scopes, err := parseScope(form.Get("scope"))
	if err != nil {
		i.countFailure("")
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", err.Error())
		return
	}
	da, err := i.DeviceAuthorize(r.Context(), DeviceRequest{ClientID: client, Scopes: scopes})
	if err != nil {
		writeOAuthIssueError(w, err)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, deviceAuthResponse{
		DeviceCode:              da.DeviceCode,
		UserCode:                da.UserCode,
		VerificationURI:         base + da.VerificationURI,
		VerificationURIComplete: base + da.VerificationURIComplete,
		ExpiresIn:               ceilSeconds(da.ExpiresIn),
		Interval:                ceilSeconds(da.Interval),
	})
}

// serveRevocation is the revocation endpoint (RFC 7009): a refresh token
// revokes its family; an access token or an unknown token is answered 200
// and left alone (access tokens are revoked by identity, PathAdminRevoke).
func (i *Issuer) serveRevocation(w http.ResponseWriter, r *http.Request) {
	form, client, ok := i.readPublicClientForm(w, r)
	if !ok {
		return
	}
	if err := i.RevokeRefreshToken(r.Context(), client, form.Get("token")); err != nil {
		writeOAuthIssueError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// serveDevicePage is the verification URI. The fake has no users to log
// in, so it says how a device sign-in is answered instead; it never echoes
// the user code.
func serveDevicePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "tokentop fake issuer: device sign-in\n\n"+
		"This issuer has no login page. Approve or deny the sign-in with the user code the device shows:\n\n"+
		"  curl -H 'Content-Type: application/json' -d '{\"user_code\":\"XXXX-XXXX\",\"action\":\"approve\"}' %s\n\n"+
		"or let the issuer approve every sign-in after a delay (%s, \"approve_after\").\n", PathAdminDevice, PathAdminRefresh)
}
