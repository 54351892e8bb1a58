package fakeissuer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tokentop/internal/clock"
	"tokentop/issuer"
)

// signInInProcess runs the device flow through the Go API, approving at
// once, and returns the first grant.
func signInInProcess(t *testing.T, iss *Issuer, clk *clock.Loop) UserGrant {
	t.Helper()
	ctx := context.Background()
	da, err := iss.DeviceAuthorize(ctx, DeviceRequest{ClientID: iss.ClientID()})
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.ApproveDevice(da.UserCode, "alice"); err != nil {
		t.Fatal(err)
	}
	g, err := iss.PollDevice(ctx, DevicePoll{ClientID: iss.ClientID(), DeviceCode: da.DeviceCode})
	if err != nil {
		t.Fatalf("PollDevice: %v", err)
	}
	return g
}

func refresh(iss *Issuer, token string) (UserGrant, error) {
	return iss.RefreshGrant(context.Background(), RefreshRequest{ClientID: iss.ClientID(), RefreshToken: token})
}

func TestDevicePollAnswersPendingSlowDownDeniedAndExpired(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{Device: DevicePolicy{Interval: 5 * time.Second, Expiry: time.Minute}})
	ctx := context.Background()
	poll := func(code string) error {
		_, err := iss.PollDevice(ctx, DevicePoll{ClientID: iss.ClientID(), DeviceCode: code})
		return err
	}
	da, err := iss.DeviceAuthorize(ctx, DeviceRequest{ClientID: iss.ClientID()})
	if err != nil {
		t.Fatal(err)
	}
	if err := poll(da.DeviceCode); !errors.Is(err, ErrAuthorizationPending) {
		t.Fatalf("first poll: %v, want authorization_pending", err)
	}
	clk.Advance(time.Second)
	if err := poll(da.DeviceCode); !errors.Is(err, ErrSlowDown) {
		t.Fatalf("poll 1 s later: %v, want slow_down", err)
	}
	clk.Advance(5 * time.Second) // the interval is 10 s now
	if err := poll(da.DeviceCode); !errors.Is(err, ErrSlowDown) {
		t.Fatalf("poll 5 s later after a slow_down: %v, want slow_down (the interval grew by 5 s)", err)
	}
	clk.Advance(15 * time.Second)
	if err := poll(da.DeviceCode); !errors.Is(err, ErrAuthorizationPending) {
		t.Fatalf("poll 15 s later: %v, want authorization_pending", err)
	}
	clk.Advance(time.Minute)
	if err := poll(da.DeviceCode); !errors.Is(err, ErrDeviceCodeExpired) {
		t.Fatalf("poll after expiry: %v, want expired_token", err)
	}
	if err := iss.ApproveDevice(da.UserCode, ""); err == nil {
		t.Error("approving an expired sign-in succeeded")
	}

	denied, _ := iss.DeviceAuthorize(ctx, DeviceRequest{ClientID: iss.ClientID()})
	if err := iss.DenyDevice(denied.UserCode); err != nil {
		t.Fatal(err)
	}
	if err := poll(denied.DeviceCode); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("poll after denial: %v, want access_denied", err)
	}
	if err := poll(denied.DeviceCode); !errors.Is(err, ErrInvalidGrant) {
		t.Fatalf("poll after the denial was told: %v, want invalid_grant", err)
	}
}

func TestDeviceErrorsOverHTTPCarryRFC8628Codes(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{})
	h := iss.Handler()
	form := "application/x-www-form-urlencoded"
	w := call(h, "POST", PathOAuth2Device, form, "client_id="+iss.ClientID()+"&scope=chat")
	da := decodeBody[deviceAuthResponse](t, w.Body)
	if w.Code != 200 || da.Interval != 5 || da.ExpiresIn != 600 || da.VerificationURI != "http://127.0.0.1"+PathDevice {
		t.Fatalf("device authorization: %d %+v", w.Code, da)
	}
	body := "grant_type=" + url.QueryEscape(grantDeviceCode) + "&client_id=" + iss.ClientID() + "&device_code=" + da.DeviceCode
	for _, want := range []string{"authorization_pending", "slow_down"} {
		w := call(h, "POST", PathOAuth2Token, form, body)
		if w.Code != 400 || oauthCode(t, w.Body.Bytes()) != want {
			t.Errorf("poll: %d %s, want 400 %s", w.Code, w.Body, want)
		}
	}
	clk.Advance(time.Hour)
	if w := call(h, "POST", PathOAuth2Token, form, body); oauthCode(t, w.Body.Bytes()) != "expired_token" {
		t.Errorf("poll after expiry: %s", w.Body)
	}
	if w := call(h, "POST", PathOAuth2Device, form, "client_id=someone-else"); w.Code != 401 || oauthCode(t, w.Body.Bytes()) != "invalid_client" {
		t.Errorf("unknown public client: %d %s", w.Code, w.Body)
	}
}

func TestRotatingWithoutReuseDetectionRefusesOldTokenAndKeepsFamily(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{Refresh: RefreshPolicy{Mode: RefreshRotating}})
	g := signInInProcess(t, iss, clk)
	g2, err := refresh(iss, g.RefreshToken)
	if err != nil || g2.RefreshToken == g.RefreshToken || g2.Rotation != 1 {
		t.Fatalf("refresh: %+v %v", g2, err)
	}
	if _, err := refresh(iss, g.RefreshToken); !errors.Is(err, ErrInvalidGrant) {
		t.Fatalf("old token: %v, want invalid_grant", err)
	}
	if _, err := refresh(iss, g2.RefreshToken); err != nil {
		t.Fatalf("the newest token after an old one was refused: %v, want it to work", err)
	}
}

func TestReusableRefreshTokenStaysTheSame(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{Refresh: RefreshPolicy{Mode: RefreshReusable}})
	g := signInInProcess(t, iss, clk)
	for n := 0; n < 3; n++ {
		g2, err := refresh(iss, g.RefreshToken)
		if err != nil || g2.RefreshToken != g.RefreshToken || g2.Rotation != 0 {
			t.Fatalf("refresh %d: %+v %v", n, g2, err)
		}
	}
}

func TestIdleAndAbsoluteLifetimesEndTheFamily(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{Refresh: RefreshPolicy{IdleLifetime: time.Hour, AbsoluteLifetime: 3 * time.Hour}})
	g := signInInProcess(t, iss, clk)
	var err error
	for n := 0; n < 4; n++ { // every 50 min: idle never ends it, the absolute lifetime does at 3 h
		clk.Advance(50 * time.Minute)
		if g, err = refresh(iss, g.RefreshToken); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrInvalidGrant) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("refresh at 3h20m: %v, want invalid_grant: expired", err)
	}
	g = signInInProcess(t, iss, clk)
	clk.Advance(time.Hour)
	if _, err := refresh(iss, g.RefreshToken); !errors.Is(err, ErrInvalidGrant) {
		t.Fatalf("refresh after an idle hour: %v, want invalid_grant", err)
	}
}

func TestLoseResponseRotatesButTheClientNeverHears(t *testing.T) {
	for _, grace := range []time.Duration{0, 10 * time.Second} {
		t.Run(fmt.Sprint("grace ", grace), func(t *testing.T) {
			iss, clk := newTestIssuer(t, Options{Refresh: RefreshPolicy{Mode: RefreshRotating, ReuseDetection: true, Grace: grace}})
			g := signInInProcess(t, iss, clk)
			if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultLoseResponse, Count: 1}); err != nil {
				t.Fatal(err)
			}
			if _, err := refresh(iss, g.RefreshToken); !errors.Is(err, ErrResponseLost) {
				t.Fatalf("refresh under lose-response: %v, want ErrResponseLost", err)
			}
			if fam := mustFamily(t, iss); fam.Rotation != 1 {
				t.Fatalf("rotation %d after the lost answer, want 1: the server rotated", fam.Rotation)
			}
			clk.Advance(time.Second)
			_, err := refresh(iss, g.RefreshToken) // the client retries with the token it has
			fam := mustFamily(t, iss)
			if grace == 0 && (!errors.Is(err, ErrInvalidGrant) || fam.RevokedAt.IsZero()) {
				t.Errorf("retry without grace: %v, family %+v; want invalid_grant and the family revoked", err, fam)
			}
			if grace > 0 && (err != nil || !fam.RevokedAt.IsZero()) {
				t.Errorf("retry within the grace period: %v, family %+v; want the lost successor again", err, fam)
			}
		})
	}
}

func TestLoseResponseOverHTTPCutsTheConnection(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{})
	g := signInInProcess(t, iss, clk)
	_ = iss.InjectFault(issuer.Fault{Kind: issuer.FaultLoseResponse, Count: 1})
	srv := serve(t, iss)
	resp, err := srv.Client().PostForm(srv.URL+PathOAuth2Token, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {g.RefreshToken}, "client_id": {iss.ClientID()}})
	if err == nil {
		resp.Body.Close()
		t.Fatalf("lose-response answered %d, want a cut connection", resp.StatusCode)
	}
	if fam := mustFamily(t, iss); fam.Rotation != 1 {
		t.Errorf("rotation %d, want 1", fam.Rotation)
	}
}

func TestInvalidGrantFaultLeavesTheTokenAndSkipsOtherCalls(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{})
	g := signInInProcess(t, iss, clk)
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultInvalidGrant, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Issue(context.Background(), issuer.Request{Identity: "bob"}); err != nil {
		t.Fatalf("an access-token call under an invalid-grant fault: %v, want it untouched", err)
	}
	if _, err := refresh(iss, g.RefreshToken); !errors.Is(err, ErrInvalidGrant) || !errors.Is(err, ErrInvalidGrant) {
		t.Fatalf("refresh: %v, want the injected invalid_grant", err)
	}
	if _, err := refresh(iss, g.RefreshToken); err != nil {
		t.Fatalf("refresh after the fault was used up: %v, want the token still good", err)
	}
}

func TestRevocationEndpointRevokesTheFamily(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{})
	g := signInInProcess(t, iss, clk)
	g2, _ := refresh(iss, g.RefreshToken)
	h := iss.Handler()
	form := "application/x-www-form-urlencoded"
	for _, tok := range []string{"rt_unknown", g.RefreshToken} { // unknown: 200 all the same (RFC 7009 §2.2)
		if w := call(h, "POST", PathOAuth2Revoke, form, "client_id="+iss.ClientID()+"&token="+tok); w.Code != 200 {
			t.Fatalf("revoke: %d %s", w.Code, w.Body)
		}
	}
	_, err := refresh(iss, g2.RefreshToken)
	if !errors.Is(err, ErrInvalidGrant) || !strings.Contains(err.Error(), "sign-out") {
		t.Fatalf("refresh after revoking an older token of the family: %v, want invalid_grant naming the sign-out", err)
	}
}

func TestFamiliesAreBoundedAndRevokedOnesEvicted(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{MaxFamilies: 2})
	a := signInInProcess(t, iss, clk)
	signInInProcess(t, iss, clk)
	ctx := context.Background()
	da, _ := iss.DeviceAuthorize(ctx, DeviceRequest{ClientID: iss.ClientID()})
	_ = iss.ApproveDevice(da.UserCode, "")
	_, err := iss.PollDevice(ctx, DevicePoll{ClientID: iss.ClientID(), DeviceCode: da.DeviceCode})
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusTooManyRequests {
		t.Fatalf("a third sign-in: %v, want 429", err)
	}
	_ = iss.RevokeRefreshToken(ctx, iss.ClientID(), a.RefreshToken)
	clk.Advance(5 * time.Second)
	if _, err := iss.PollDevice(ctx, DevicePoll{ClientID: iss.ClientID(), DeviceCode: da.DeviceCode}); err != nil {
		t.Fatalf("a third sign-in after a revocation: %v, want room", err)
	}
	if _, total, _ := iss.Families(0, 10); total != 2 {
		t.Errorf("%d families, want 2", total)
	}
}

func TestPoliciesRefuseOutOfRangeValues(t *testing.T) {
	for _, p := range []RefreshPolicy{{Mode: "sticky"}, {Mode: RefreshReusable, Grace: time.Second},
		{Grace: -time.Second}, {IdleLifetime: MaxRefreshLifetime + 1}, {AccessLifetime: MaxLifetime + 1}} {
		if _, err := New(Options{Refresh: p}); err == nil {
			t.Errorf("New with refresh policy %+v succeeded", p)
		}
	}
	for _, p := range []DevicePolicy{{Interval: time.Millisecond}, {Expiry: time.Second}, {ApproveAfter: -1}, {User: "bad\nname"}} {
		if _, err := New(Options{Device: p}); err == nil {
			t.Errorf("New with device policy %+v succeeded", p)
		}
	}
	if _, err := New(Options{MaxFamilies: MaxMaxFamilies + 1}); err == nil {
		t.Error("New with too many families succeeded")
	}
	iss, _ := newTestIssuer(t, Options{})
	if _, err := refresh(iss, strings.Repeat("x", MaxRefreshTokenLen+1)); err == nil || strings.Contains(err.Error(), "xxxx") {
		t.Errorf("oversize token: %v, want a refusal that does not quote it", err)
	}
}

func TestAdminChangesPoliciesAndAnswersDeviceSignIns(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	h := iss.Handler()
	js := "application/json"
	w := call(h, "POST", PathAdminRefresh, js, `{"refresh":{"grace":"20s","idle_lifetime":3600},"device":{"approve_after":"30s"}}`)
	if w.Code != 200 {
		t.Fatalf("POST %s: %d %s", PathAdminRefresh, w.Code, w.Body)
	}
	if p := iss.RefreshPolicy(); p.Grace != 20*time.Second || p.IdleLifetime != time.Hour || p.Mode != RefreshRotating || !p.ReuseDetection {
		t.Errorf("refresh policy %+v, want grace and idle changed, the rest kept", p)
	}
	if p := iss.DevicePolicy(); p.ApproveAfter != 30*time.Second || p.Interval != DefaultDeviceInterval {
		t.Errorf("device policy %+v", p)
	}
	if w := call(h, "POST", PathAdminRefresh, js, `{"refresh":{"mode":"reusable"}}`); w.Code != 400 || errorCode(t, w.Body.Bytes()) != "InvalidPolicy" {
		t.Errorf("reusable with a grace period: %d %s, want 400", w.Code, w.Body)
	}
	if iss.RefreshPolicy().Mode != RefreshRotating {
		t.Error("a refused change changed the policy")
	}
	if w := call(h, "POST", PathAdminDevice, js, `{"user_code":"BCDF-GHJK","action":"approve"}`); w.Code != 400 {
		t.Errorf("approving an unknown user code: %d %s", w.Code, w.Body)
	}
}

func TestDiscoveryNamesDeviceAndRevocationEndpoints(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	w := call(iss.Handler(), "GET", PathOpenIDConfig, "", "")
	doc := decodeBody[openIDConfig](t, w.Body)
	if doc.DeviceEndpoint != "http://127.0.0.1"+PathOAuth2Device || doc.RevocationEnd != "http://127.0.0.1"+PathOAuth2Revoke ||
		!strings.Contains(strings.Join(doc.GrantTypes, " "), grantDeviceCode) || !strings.Contains(strings.Join(doc.GrantTypes, " "), "refresh_token") {
		t.Errorf("discovery %+v", doc)
	}
}

// TestNoUserSessionSecretInAnyOutput runs a device sign-in, rotations, a
// replay and the errors between them, and searches everything the fake
// says (bodies, admin API, metrics, events, error texts) for the secrets.
func TestNoUserSessionSecretInAnyOutput(t *testing.T) {
	var events []RefreshEvent
	iss, clk := newTestIssuer(t, Options{OnRefreshEvent: func(e RefreshEvent) { events = append(events, e) }})
	h := iss.Handler()
	form := "application/x-www-form-urlencoded"
	var out strings.Builder
	say := func(status int, body string) { fmt.Fprintf(&out, "%d %s\n", status, body) }
	w := call(h, "POST", PathOAuth2Device, form, "client_id="+iss.ClientID())
	da := decodeBody[deviceAuthResponse](t, w.Body)
	secrets := []string{da.DeviceCode, da.UserCode, normalUserCode(da.UserCode)}
	poll := "grant_type=" + url.QueryEscape(grantDeviceCode) + "&client_id=" + iss.ClientID() + "&device_code=" + da.DeviceCode
	for n := 0; n < 2; n++ { // pending, slow_down
		w := call(h, "POST", PathOAuth2Token, form, poll)
		say(w.Code, w.Body.String())
	}
	if err := iss.ApproveDevice(da.UserCode, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := iss.ApproveDevice(da.UserCode, "alice"); err != nil {
		say(0, err.Error())
	}
	clk.Advance(time.Minute)
	w = call(h, "POST", PathOAuth2Token, form, poll)
	tr := decodeBody[tokenResponse](t, w.Body)
	rt := tr.RefreshToken
	secrets = append(secrets, rt)
	w = call(h, "POST", PathOAuth2Token, form, poll) // a used device code
	say(w.Code, w.Body.String())
	first := rt
	for n := 0; n < 3; n++ {
		w := call(h, "POST", PathOAuth2Token, form, "grant_type=refresh_token&client_id="+iss.ClientID()+"&refresh_token="+rt)
		rt = decodeBody[tokenResponse](t, w.Body).RefreshToken
		secrets = append(secrets, rt)
	}
	w = call(h, "POST", PathOAuth2Token, form, "grant_type=refresh_token&client_id="+iss.ClientID()+"&refresh_token="+first)
	say(w.Code, w.Body.String())
	w = call(h, "POST", PathOAuth2Token, form, "grant_type=refresh_token&client_id="+iss.ClientID()+"&refresh_token="+rt)
	say(w.Code, w.Body.String())
	for _, path := range []string{PathAdminRefresh, PathAdminFamilies, PathAdminStats, PathMetrics, PathDevice + "?user_code=" + da.UserCode} {
		w := call(h, "GET", path, "", "")
		say(w.Code, w.Body.String())
	}
	fmt.Fprintf(&out, "%+v\n", events)
	if len(events) != 6 { // signed in, 3 rotations, replayed, revoked
		t.Errorf("events %+v, want 6", events)
	}
	mustContain(t, "metrics", out.String(), "fakeissuer_refresh_token_replays_total 1")
	mustContain(t, "metrics", out.String(), "fakeissuer_refresh_token_rotations_total 3")
	mustContain(t, "metrics", out.String(), "fakeissuer_refresh_token_families_revoked_total 1")
	for _, s := range secrets {
		if s == "" || strings.Contains(out.String(), s) {
			t.Errorf("a secret (%d bytes) is empty or in the fake's output", len(s))
		}
	}
}
