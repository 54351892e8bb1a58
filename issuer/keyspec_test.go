package issuer_test

import (
	"strings"
	"testing"

	"tokentop/issuer"
)

func TestParseSpecErrorNamesTheCommandOfAnExecWithOptions(t *testing.T) {
	_, err := issuer.ParseSpec("exec[jwks=https://a/k,jwks=https://b/k]:get-token --secret x")
	if err == nil || !strings.Contains(err.Error(), "exec:get-token …") || strings.Contains(err.Error(), "https://a/k") || strings.Contains(err.Error(), "--secret") {
		t.Errorf("err = %v, want it to name exec:get-token and not the options", err)
	}
}

func TestNewRefusesABadKeySourceGivenInCode(t *testing.T) {
	_, err := issuer.NewHTTP(issuer.HTTPConfig{URL: "http://127.0.0.1:1/t", Keys: issuer.KeySource{JWKS: "https://a/k", IssuerURL: "https://a"}}, issuer.Options{})
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("NewHTTP with jwks and issuer_url: err = %v, want not both", err)
	}
	_, err = issuer.NewExec(issuer.ExecConfig{Argv: []string{"echo"}, Keys: issuer.KeySource{JWKS: "file:///etc/keys"}}, issuer.Options{})
	if err == nil || !strings.Contains(err.Error(), "jwks: want http") {
		t.Errorf("NewExec with a file: JWKS: err = %v, want jwks: want http", err)
	}
}
