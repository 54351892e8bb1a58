package issuer_test

import (
	"slices"
	"strings"
	"testing"

	"tokentop/issuer"
)

func TestParseSpecReadsACS(t *testing.T) {
	got, err := issuer.ParseSpec("acs:connection_string_env=ACS, scope=chat voip,scope=chat.join,keep_users=true")
	want := issuer.Spec{Kind: issuer.KindACS, ACS: issuer.ACSConfig{
		ConnectionStringEnv: "ACS", Scopes: []string{"chat", "voip", "chat.join"}, KeepUsers: true}}
	if err != nil || !slices.Equal(got.ACS.Scopes, want.ACS.Scopes) || got.Kind != want.Kind ||
		got.ACS.ConnectionStringEnv != "ACS" || !got.ACS.KeepUsers {
		t.Errorf("ParseSpec = %+v, %v; want %+v", got, err, want)
	}
	if got, err := issuer.ParseSpec("acs:connection_string_file=/run/acs,jwks=https://keys.example/jwks"); err != nil ||
		got.ACS.ConnectionStringFile != "/run/acs" || got.ACS.Keys.JWKS != "https://keys.example/jwks" {
		t.Errorf("ParseSpec(file, jwks) = %+v, %v", got, err)
	}
	if got.Kind.String() != "acs" {
		t.Errorf("KindACS.String() = %q", got.Kind)
	}
	if !strings.Contains(issuer.SpecHelp, "acs:connection_string_env=") {
		t.Errorf("SpecHelp does not describe acs:")
	}
}

func TestParseSpecACSErrorsNeverEchoTheConnectionString(t *testing.T) {
	cases := map[string]string{
		"acs:": "source once",
		"acs:connection_string_env=A,connection_string_file=f": "source once",
		"acs:endpoint=https://x/;accesskey=s3cr3t":             "a connection string never goes in the spec",
		"acs:connection_string=endpoint=https://x/":            "a connection string never goes in the spec",
		"acs:connection_string_env=A,accesskey=s3cr3t":         "a connection string never goes in the spec",
		"acs:connection_string_env=A,s3cr3t":                   "a part without =",
		"acs:connection_string_env=A,keep_users=s3cr3t":        "want true or false",
		"acs:connection_string_env=A,scope=s3cr3t":             `scope "s3cr3t" is not an ACS scope`,
		"acs:connection_string_env=A,region=s3cr3t":            `unknown key "region"`,
		"acs:connection_string_env=":                           "has no value",
	}
	for spec, want := range cases {
		_, err := issuer.ParseSpec(spec)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), `issuer spec acs:…:`) {
			t.Errorf("ParseSpec(%q) = %v; want an error on acs:… saying %q", spec, err, want)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") && !strings.Contains(want, "s3cr3t") {
			t.Errorf("ParseSpec(%q) echoes the secret: %v", spec, err)
		}
	}
}

// Spec.New builds the acs: adapter, reading the connection string where
// the spec says.
func TestParseBuildsTheACSAdapter(t *testing.T) {
	env := envWith(acsEnv, "endpoint=https://acs.example.com/;accesskey="+testACSKey)
	iss, err := issuer.Parse("acs:connection_string_env="+acsEnv, issuer.Options{LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.(*issuer.ACS).Close()
	if iss.Name() != "acs https://acs.example.com/" {
		t.Errorf("Name() = %q", iss.Name())
	}
	if _, err := issuer.Parse("acs:connection_string_env=UNSET_VAR", issuer.Options{LookupEnv: env}); err == nil ||
		!strings.Contains(err.Error(), "UNSET_VAR (connection_string_env) is not set") {
		t.Errorf("an unset variable: %v", err)
	}
}
