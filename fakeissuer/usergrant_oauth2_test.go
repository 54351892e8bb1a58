package fakeissuer

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"

	"tokentop/internal/clock"
)

// In a synctest bubble time.Sleep moves the bubble's clock (the issuer's
// clock.Real) at once: these tests wait for nothing real.

func TestDeviceAccessTokenThenThreeRotationsWithXOAuth2(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newUserFixture(t, Options{
			Device:  DevicePolicy{ApproveAfter: 12 * time.Second, User: "alice"},
			Refresh: RefreshPolicy{AccessLifetime: time.Minute},
		})
		start := time.Now()
		tok := f.signIn(t)
		// Polls at 5 s and 10 s are pending; the one at 15 s finds the
		// approval of 12 s.
		if waited := time.Since(start); waited != 15*time.Second {
			t.Errorf("DeviceAccessToken took %v, want 15s (three polls at the 5 s interval)", waited)
		}
		if tok.RefreshToken == "" || !tok.Valid() {
			t.Fatalf("device sign-in token %+v, want a valid access token and a refresh token", tok)
		}
		if c, err := f.iss.Verify(tok.AccessToken); err != nil || c.Subject != "alice" {
			t.Fatalf("access token: subject %q, %v; want alice's", c.Subject, err)
		}
		ts := f.cfg.TokenSource(f.ctx, tok)
		seen := map[string]bool{tok.RefreshToken: true}
		for n := 1; n <= 3; n++ {
			time.Sleep(time.Minute) // the access token expires
			got, err := ts.Token()
			if err != nil {
				t.Fatalf("refresh %d: %v", n, err)
			}
			if seen[got.RefreshToken] {
				t.Fatalf("refresh %d answered a refresh token seen before, want a rotated one", n)
			}
			seen[got.RefreshToken] = true
		}
		if fam := mustFamily(t, f.iss); fam.Rotation != 3 || !fam.RevokedAt.IsZero() || fam.User != "alice" {
			t.Errorf("family %+v, want alice's, rotated 3 times, live", fam)
		}
	})
}

// rotateOnce signs in and refreshes once through x/oauth2, returning the
// token source and the rotated-out first refresh token.
func rotateOnce(t *testing.T, f *userFixture) (oauth2.TokenSource, string) {
	t.Helper()
	tok := f.signIn(t)
	first := tok.RefreshToken
	ts := f.cfg.TokenSource(f.ctx, tok)
	time.Sleep(time.Minute)
	if _, err := ts.Token(); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return ts, first
}

func TestReplayOfRotatedOutRefreshTokenRevokesTheFamily(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newUserFixture(t, Options{Device: DevicePolicy{ApproveAfter: time.Second}, Refresh: RefreshPolicy{AccessLifetime: time.Minute}})
		ts, first := rotateOnce(t, f)
		status, body := f.postForm(t, memBase, PathOAuth2Token, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first}})
		if status != http.StatusBadRequest || !strings.Contains(body, `"invalid_grant"`) {
			t.Fatalf("replay: %d %s, want 400 invalid_grant", status, body)
		}
		mustContain(t, "replay error", body, "refresh token #1")
		time.Sleep(time.Minute)
		_, err := ts.Token()
		if retrieveCode(err) != "invalid_grant" {
			t.Fatalf("the good client's next refresh: %v, want invalid_grant", err)
		}
		if fam := mustFamily(t, f.iss); fam.RevokeReason != "replay of refresh token #1" {
			t.Errorf("family revoked for %q, want the replay of refresh token #1", fam.RevokeReason)
		}
	})
}

func TestReplayWithinTheGracePeriodKeepsTheFamily(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newUserFixture(t, Options{Device: DevicePolicy{ApproveAfter: time.Second},
			Refresh: RefreshPolicy{Mode: RefreshRotating, ReuseDetection: true, Grace: 30 * time.Second, AccessLifetime: time.Minute}})
		ts, first := rotateOnce(t, f)
		time.Sleep(10 * time.Second) // within the 30 s grace
		status, body := f.postForm(t, memBase, PathOAuth2Token, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first}})
		if status != http.StatusOK {
			t.Fatalf("replay within the grace period: %d %s, want 200", status, body)
		}
		cur, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, "grace answer", body, `"refresh_token":"`+cur.RefreshToken+`"`) // the same successor
		time.Sleep(time.Minute)
		if _, err := ts.Token(); err != nil {
			t.Fatalf("the good client's next refresh: %v, want it to work", err)
		}
		if fam := mustFamily(t, f.iss); !fam.RevokedAt.IsZero() || fam.Rotation != 2 {
			t.Errorf("family %+v, want live after 2 rotations", fam)
		}
	})
}

// TestDeviceSignInOverHTTPApprovedByTheAdmin runs x/oauth2 against a real
// loopback server: the one-second interval is real time.
func TestDeviceSignInOverHTTPApprovedByTheAdmin(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{Clock: clock.Real{}, Device: DevicePolicy{Interval: time.Second}})
	srv := serve(t, iss)
	f := newUserFixtureAt(t, iss, srv.URL, srv.Client())
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	da, err := f.cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if da.Interval != 1 || !strings.HasPrefix(da.VerificationURI, srv.URL+PathDevice) || !strings.Contains(da.VerificationURIComplete, da.UserCode) {
		t.Errorf("device authorization %+v", da)
	}
	req, _ := http.NewRequest("POST", srv.URL+PathAdminDevice, strings.NewReader(`{"user_code":"`+strings.ToLower(da.UserCode)+`","action":"approve","user":"bob"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("admin approve: %v %v", resp, err)
	}
	resp.Body.Close()
	tok, err := f.cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	tok.Expiry = time.Now().Add(-time.Second) // make the token source refresh
	next, err := f.cfg.TokenSource(ctx, tok).Token()
	if err != nil || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %v (rotated: %v)", err, next != nil && next.RefreshToken != tok.RefreshToken)
	}
}
