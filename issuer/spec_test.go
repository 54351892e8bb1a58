package issuer_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"tokentop/issuer"
)

func TestParseSpecReadsEachKind(t *testing.T) {
	cases := []struct {
		spec string
		want issuer.Spec
	}{
		{"fake", issuer.Spec{Kind: issuer.KindFake}},
		{" http://127.0.0.1:8080/getToken ", issuer.Spec{Kind: issuer.KindHTTP, HTTP: issuer.HTTPConfig{URL: "http://127.0.0.1:8080/getToken"}}},
		{"https://app.example/token?x=1#method=get&token=data.token&header=X-A:b&header_env=Authorization:APP_AUTH&body=%7B%7D",
			issuer.Spec{Kind: issuer.KindHTTP, HTTP: issuer.HTTPConfig{
				URL: "https://app.example/token?x=1", Method: "GET", TokenField: "data.token", Body: "{}",
				Header: http.Header{"X-A": {"b"}}, HeaderEnv: map[string]string{"Authorization": "APP_AUTH"}}}},
		{"oauth2:token_url=https://login.example/t/oauth2/v2.0/token,client_id=app,secret_file=/run/secret,scope=a b,scope=c,resource=r,audience=aud,auth=params",
			issuer.Spec{Kind: issuer.KindOAuth2, OAuth2: issuer.OAuth2Config{
				TokenURL: "https://login.example/t/oauth2/v2.0/token", ClientID: "app", SecretFile: "/run/secret",
				Scopes: []string{"a", "b", "c"}, Resource: "r", Audience: "aud", AuthStyle: "params"}}},
		{`exec:az account get-access-token --resource "https://communication.azure.com" -o 'json'`,
			issuer.Spec{Kind: issuer.KindExec, Exec: issuer.ExecConfig{
				Argv: []string{"az", "account", "get-access-token", "--resource", "https://communication.azure.com", "-o", "json"}}}},
		{`exec:my\ tool "a \"quoted\" arg" ''`,
			issuer.Spec{Kind: issuer.KindExec, Exec: issuer.ExecConfig{Argv: []string{"my tool", `a "quoted" arg`, ""}}}},
		// Signing keys: jwks=URL or issuer_url=URL (OIDC discovery).
		{"https://app.example/getToken#jwks=https://login.example/keys",
			issuer.Spec{Kind: issuer.KindHTTP, HTTP: issuer.HTTPConfig{URL: "https://app.example/getToken",
				Keys: issuer.KeySource{JWKS: "https://login.example/keys"}}}},
		{"http://127.0.0.1:8080/getToken#issuer_url=http%3A%2F%2F127.0.0.1%3A8080&token=data.token",
			issuer.Spec{Kind: issuer.KindHTTP, HTTP: issuer.HTTPConfig{URL: "http://127.0.0.1:8080/getToken", TokenField: "data.token",
				Keys: issuer.KeySource{IssuerURL: "http://127.0.0.1:8080"}}}},
		{"oauth2:token_url=https://login.example/t/token,client_id=app,secret_env=S,issuer_url=https://login.example/t/v2.0",
			issuer.Spec{Kind: issuer.KindOAuth2, OAuth2: issuer.OAuth2Config{TokenURL: "https://login.example/t/token", ClientID: "app", SecretEnv: "S",
				Keys: issuer.KeySource{IssuerURL: "https://login.example/t/v2.0"}}}},
		{"exec[jwks=https://login.example/keys]:az account get-access-token -o json",
			issuer.Spec{Kind: issuer.KindExec, Exec: issuer.ExecConfig{Argv: []string{"az", "account", "get-access-token", "-o", "json"},
				Keys: issuer.KeySource{JWKS: "https://login.example/keys"}}}},
		// The options end at the ] that closes exec[, past an IPv6 address.
		{"exec[ issuer_url=http://[::1]:8080 ]:get-token --for 'a b'",
			issuer.Spec{Kind: issuer.KindExec, Exec: issuer.ExecConfig{Argv: []string{"get-token", "--for", "a b"},
				Keys: issuer.KeySource{IssuerURL: "http://[::1]:8080"}}}},
		{"exec[]:get-token", issuer.Spec{Kind: issuer.KindExec, Exec: issuer.ExecConfig{Argv: []string{"get-token"}}}},
	}
	for _, tc := range cases {
		got, err := issuer.ParseSpec(tc.spec)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", tc.spec, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSpec(%q) =\n %#v\nwant\n %#v", tc.spec, got, tc.want)
		}
	}
}

func TestParseSpecErrorsAreOneLineSayingWhatIsWrongAndPointingToHelp(t *testing.T) {
	cases := map[string]string{
		"":                                    "empty spec",
		"ftp://x/y":                           `spec "ftp:…": unknown kind`,
		"fakeissuer":                          `spec "fakeissuer": unknown kind`,
		"Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig": `spec "Bearer eyJhb"…: unknown kind`,
		"http://":                             "no host",
		"http://h/p#method=PUT":               "option method: want GET or POST",
		"http://h/p#colour=red":               `unknown option "colour"`,
		"http://h/p#header=NoColon":           "option header: want Name:value",
		"http://h/p#token=a..b":               "want a dotted JSON path",
		"oauth2:client_id=a,secret_env=S":     "token_url is missing",
		"oauth2:token_url=ftp://x,client_id=a,secret_env=S":                   "want http://host/path",
		"oauth2:token_url=https://x/t,secret_env=S":                           "client_id is missing",
		"oauth2:token_url=https://x/t,client_id=a":                            "client secret's source once",
		"oauth2:token_url=https://x/t,client_id=a,secret_env=S,secret_file=f": "client secret's source once",
		"oauth2:token_url=https://x/t,client_id=a,secret=hunter2":             "a secret never goes in the spec",
		"oauth2:token_url=https://x/t,client_id=a,secret_env=S,tenant=t":      `unknown key "tenant"`,
		"oauth2:token_url=https://x/t,client_id=a,secret_env=S,auth=digest":   "want header or params",
		"oauth2:token_url":  "want key=value pairs",
		"exec:":             "no command after exec:",
		`exec:az "unclosed`: `unclosed " quote`,
		`exec:az trailing\`: `lone \`,
		"http://h/p#jwks=https://a/k&issuer_url=https://a":                 "give jwks or issuer_url, not both",
		"http://h/p#jwks=https://a/k&jwks=https://b/k":                     "option jwks given twice",
		"http://h/p#jwks=ftp://a/k":                                        "jwks: want http://host/path",
		"http://h/p#issuer_url=https://user:hunter2@a":                     "issuer_url: the URL carries a user or password",
		"oauth2:token_url=https://x/t,client_id=a,secret_env=S,jwks=/keys": "jwks: want http://host/path",
		"oauth2:token_url=https://x/t,client_id=a,secret_env=S,colour=red": "jwks or issuer_url",
		"exec[jwks=https://a/k:get-token":                                  "exec[ has no closing ]",
		"exec[jwks=https://a/k]get-token":                                  "no : after the options",
		"exec[colour=red]:get-token":                                       `unknown option "colour" in exec[...]`,
		"exec[https://a/k]:get-token":                                      "without =",
		"exec[jwks=]:get-token":                                            `option "jwks" has no value`,
		"exec[jwks=https://a/k]:":                                          "no command",
		"exec[issuer_url=http://u:hunter2@a]:get-token":                    "carries a user or password",
	}
	for spec, want := range cases {
		_, err := issuer.ParseSpec(spec)
		if err == nil {
			t.Errorf("ParseSpec(%q) succeeded, want an error containing %q", spec, want)
			continue
		}
		if !strings.Contains(err.Error(), want) || !strings.HasSuffix(err.Error(), "(see tokentop --help for issuer specs)") {
			t.Errorf("ParseSpec(%q) = %q, want it to contain %q and point to --help", spec, err, want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseSpec(%q) error spans lines, breaking CLI and event-log lines: %q", spec, err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseSpec(%q) error echoes the secret: %q", spec, err)
		}
	}
}

// TestParseSpecRefusesSecretsAndNeverEchoesOptionValues pins that a secret
// typed into a spec (it would show in ps and shell history) is refused with
// a pointer to the env-based option, and that no error repeats it.
func TestParseSpecRefusesSecretsAndNeverEchoesOptionValues(t *testing.T) {
	cases := map[string]string{
		"https://app.example/t#header=Authorization:Bearer%20s3cr3t":        "use header_env=Authorization:ENV_VAR",
		"https://app.example/t#header=proxy-authorization:Basic%20s3cr3t":   "use header_env=proxy-authorization:ENV_VAR",
		"https://app.example/t#header=Cookie:session%3Ds3cr3t":              "use header_env=Cookie:ENV_VAR",
		"https://app.example/t#header=X-Api-Key:s3cr3t":                     "use header_env=X-Api-Key:ENV_VAR",
		"https://app.example/t#header=X-MY-TOKEN:s3cr3t":                    "use header_env=X-MY-TOKEN:ENV_VAR",
		"https://app.example/t#header=Client-Secret:s3cr3t":                 "use header_env=Client-Secret:ENV_VAR",
		"https://user:s3cr3t@app.example/t":                                 "user or password",
		"https://s3cr3t@app.example/t":                                      "header_env=Authorization:ENV_VAR",
		"https://app.example/t#header=Authorization%20Bearer%20s3cr3t":      "option header: want Name:value",
		"https://app.example/t#header_env=s3cr3t":                           "option header_env: want Name:value",
		"https://app.example/t#method=s3cr3t":                               "option method: want GET or POST",
		"https://app.example/t#token=s3cr3t..":                              "option token: want a dotted JSON path",
		"https://app.example/t#Bearer%20s3cr3t":                             "unknown option (not shown)",
		"oauth2:token_url=https://id:s3cr3t@x/t,client_id=a,secret_env=S":   "token_url carries a user or password",
		"oauth2:token_url=https://x/t,client_id=a,secret_env=S,auth=s3cr3t": "key auth: want header or params",
		"oauth2:token_url=https://x/t,client_id=a,secret_env=S,s3cr3t":      "a part without =",
		"oauth2:token_url=https://x/t,client_id=a,secret_env=S,s3cr3t.x=1":  "unknown key (not shown)",
	}
	for spec, want := range cases {
		_, err := issuer.ParseSpec(spec)
		if err == nil {
			t.Errorf("ParseSpec(%q) succeeded, want an error containing %q", spec, want)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSpec(%q) = %q, want it to contain %q", spec, err, want)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("ParseSpec(%q) error echoes the secret: %q", spec, err)
		}
	}
	// Ordinary headers still go in the spec.
	if _, err := issuer.ParseSpec("https://app.example/t#header=X-Client:tokentop&header=Accept:application/json"); err != nil {
		t.Errorf("ordinary headers refused: %v", err)
	}
}

func TestParseFakeTellsTheCallerToBuildFakeissuer(t *testing.T) {
	_, err := issuer.Parse("fake", issuer.Options{})
	if !errors.Is(err, issuer.ErrFakeIssuer) || !strings.Contains(err.Error(), "fakeissuer.New") {
		t.Errorf("Parse(fake) = %v, want ErrFakeIssuer pointing at fakeissuer.New", err)
	}
}
