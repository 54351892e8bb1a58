package fakeissuer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"tokentop/credential"
	"tokentop/internal/npmtest"
)

// jsToken is a token as acs.cjs prints it.
type jsToken struct {
	Token     string    `json:"token"`
	ExpiresOn time.Time `json:"expiresOn"`
	ID        string    `json:"id"`
}

// jsRefusal is how a call was refused, as acs.cjs prints it.
type jsRefusal struct {
	Refused    bool   `json:"refused"`
	StatusCode int    `json:"statusCode"`
	Code       string `json:"code"`
	Message    string `json:"message"`
}

// jsResults is the output of testdata/acsjs/acs.cjs.
type jsResults struct {
	CreateUser           jsToken   `json:"createUser"`
	CreateUserAndToken   jsToken   `json:"createUserAndToken"`
	GetToken             jsToken   `json:"getToken"`
	RevokeTokens         string    `json:"revokeTokens"`
	DeleteUser           string    `json:"deleteUser"`
	GetTokenAfterDelete  jsRefusal `json:"getTokenAfterDelete"`
	GetTokenForTeamsUser jsToken   `json:"getTokenForTeamsUser"`
	EntraExchange        jsToken   `json:"entraExchange"`
	WrongKey             jsRefusal `json:"wrongKey"`
}

// TestACSOfficialJavaScriptClientWorksUnchanged runs @azure/communication-identity
// (and the Entra exchange of @azure/communication-common), pinned in
// testdata/acsjs, against the issuer on a loopback port. It needs node and
// npm, and the npm registry for one `npm ci` into a temporary directory.
func TestACSOfficialJavaScriptClientWorksUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: installs npm packages")
	}
	dir := npmtest.Install(t, filepath.Join("testdata", "acsjs"), "run the official ACS client library against the fake issuer",
		"package.json", "package-lock.json", "acs.cjs")

	iss := newACSIssuer(t, Options{ClientID: "teams-app"})
	srv := serve(t, iss)
	// The Entra credential refuses http, so it gets an https listener whose
	// certificate node trusts through NODE_EXTRA_CA_CERTS.
	tlsSrv := httptest.NewTLSServer(iss.Handler())
	t.Cleanup(tlsSrv.Close)
	caFile := filepath.Join(t.TempDir(), "fakeissuer-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	teams, err := iss.IssueUpstream(ctx, "teams-app", 45*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	teamsClaims := unverifiedClaims(t, teams.Token)
	entra, _ := oauth2Token(t, iss, nil)
	wrongKey := base64.StdEncoding.EncodeToString([]byte("not the key the issuer was given"))

	cmd := exec.CommandContext(ctx, "node", "acs.cjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"ACS_CONNECTION_STRING="+iss.ACSConnectionString(srv.URL),
		"ACS_WRONG_KEY_CONNECTION_STRING="+ACSConnectionString(srv.URL, wrongKey),
		"ACS_TLS_ENDPOINT="+tlsSrv.URL,
		"NODE_EXTRA_CA_CERTS="+caFile,
		"TEAMS_TOKEN="+teams.Token,
		"TEAMS_APP_ID=teams-app",
		"TEAMS_USER_ID="+teamsClaims.ObjectID,
		"ENTRA_TOKEN="+entra.AccessToken,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node acs.cjs: %v\nstderr:\n%s", err, stderr.Bytes())
	}
	var got jsResults
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("acs.cjs output is not the JSON expected: %v\n%s", err, stdout.Bytes())
	}

	t.Run("createUser", func(t *testing.T) {
		if !strings.HasPrefix(got.CreateUser.ID, acsIDPrefix) || !iss.HasIdentity(got.CreateUser.ID) {
			t.Errorf("createUser id %q is not a live identity of the issuer", got.CreateUser.ID)
		}
	})
	t.Run("createUserAndToken then deleteUser", func(t *testing.T) {
		c, err := iss.Verify(got.CreateUserAndToken.Token)
		if c.Subject != got.CreateUserAndToken.ID || !slices.Equal(c.Scopes, []string{"voip"}) || lifetimeOf(c) != 24*time.Hour {
			t.Errorf("token sub %q scp %v lifetime %v; want %s, [voip], 24h", c.Subject, c.Scopes, lifetimeOf(c), got.CreateUserAndToken.ID)
		}
		if got.DeleteUser != "ok" || iss.HasIdentity(got.CreateUserAndToken.ID) || !errors.Is(err, ErrTokenRevoked) {
			t.Errorf("after deleteUser: identity live %v, Verify(its token) = %v; want deleted and revoked", iss.HasIdentity(got.CreateUserAndToken.ID), err)
		}
		if r := got.GetTokenAfterDelete; !r.Refused || r.StatusCode != 404 || r.Code != "IdentityNotFound" {
			t.Errorf("getToken of a deleted user: %+v, want a 404 IdentityNotFound RestError", r)
		}
	})
	t.Run("getToken with tokenExpiresInMinutes then revokeTokens", func(t *testing.T) {
		parsed, err := credential.ParseJWT(got.GetToken.Token)
		if err != nil || !parsed.ExpiresOn.Equal(got.GetToken.ExpiresOn) {
			t.Errorf("credential.ParseJWT: expiry %v, err %v; want the client's expiresOn %v", parsed.ExpiresOn, err, got.GetToken.ExpiresOn)
		}
		c, err := iss.Verify(got.GetToken.Token)
		if c.Subject != got.CreateUser.ID || !slices.Equal(c.Scopes, []string{"chat", "voip"}) || lifetimeOf(c) != time.Hour {
			t.Errorf("token sub %q scp %v lifetime %v; want %s, [chat voip], 1h", c.Subject, c.Scopes, lifetimeOf(c), got.CreateUser.ID)
		}
		if got.RevokeTokens != "ok" || !errors.Is(err, ErrTokenRevoked) {
			t.Errorf("after revokeTokens, Verify = %v, want ErrTokenRevoked", err)
		}
	})
	t.Run("getTokenForTeamsUser", func(t *testing.T) {
		c, err := iss.Verify(got.GetTokenForTeamsUser.Token)
		if err != nil || c.Subject != teamsUserPrefix+teamsClaims.ObjectID || !got.GetTokenForTeamsUser.ExpiresOn.Equal(teams.ExpiresOn) {
			t.Errorf("Teams exchange: sub %q expiresOn %v err %v; want 8:orgid:%s expiring with the Teams token at %v",
				c.Subject, got.GetTokenForTeamsUser.ExpiresOn, err, teamsClaims.ObjectID, teams.ExpiresOn)
		}
	})
	t.Run("Entra exchange through AzureCommunicationTokenCredential", func(t *testing.T) {
		c, err := iss.Verify(got.EntraExchange.Token)
		up := unverifiedClaims(t, entra.AccessToken)
		if err != nil || c.Subject != acsIDPrefix+iss.resourceID+"_"+up.ObjectID || !got.EntraExchange.ExpiresOn.Equal(up.ExpiresAt.Time) {
			t.Errorf("Entra exchange: sub %q expiresOn %v err %v; want the Entra user's ACS identity expiring at %v", c.Subject, got.EntraExchange.ExpiresOn, err, up.ExpiresAt.Time)
		}
	})
	t.Run("wrong access key", func(t *testing.T) {
		if r := got.WrongKey; !r.Refused || r.StatusCode != 401 || r.Code != "Denied" {
			t.Errorf("a client with the wrong key: %+v, want a 401 Denied RestError", r)
		}
	})
}
