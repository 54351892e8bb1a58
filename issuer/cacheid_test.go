package issuer_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"tokentop/issuer"
)

// testDigest is a keyed digest as a cache supplies it.
func testDigest(s string) string {
	m := hmac.New(sha256.New, []byte("test digest key"))
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// cacheIdentityOf builds spec with env and returns its cache identity.
func cacheIdentityOf(t *testing.T, spec string, env map[string]string) string {
	t.Helper()
	iss, err := issuer.Parse(spec, issuer.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatalf("%s: %v", spec, err)
	}
	if c, ok := iss.(interface{ Close() error }); ok {
		t.Cleanup(func() { c.Close() })
	}
	id, ok := iss.(issuer.CacheIdentifier)
	if !ok {
		t.Fatalf("%s: %T is not a CacheIdentifier", spec, iss)
	}
	return id.CacheIdentity(testDigest)
}

// Issue 20, defect 1: every setting that chooses the principal or the
// audience changes an adapter's cache identity (same URL, same Name()),
// the same configuration gives the same identity, and no secret shows in it.
func TestCacheIdentityCoversWhatChoosesThePrincipal(t *testing.T) {
	env := map[string]string{"CS": "good-client-secret", "BADCS": "other-client-secret", "AUTH": "Bearer alice-app-key", "AUTH2": "Bearer mallory-app-key"}
	groups := [][]string{
		{
			"oauth2:token_url=https://idp.example/token,client_id=tokentop,secret_env=CS,scope=api-A",
			"oauth2:token_url=https://idp.example/token,client_id=someone-else,secret_env=CS,scope=api-A",
			"oauth2:token_url=https://idp.example/token,client_id=tokentop,secret_env=BADCS,scope=api-A",
			"oauth2:token_url=https://idp.example/token,client_id=tokentop,secret_env=CS,scope=api-B",
			"oauth2:token_url=https://idp.example/token,client_id=tokentop,secret_env=CS,scope=api-A,audience=x",
			"oauth2:token_url=https://idp.example/token,client_id=tokentop,secret_env=CS,scope=api-A,resource=r",
			"oauth2:token_url=https://idp.example/token?tenant=t2,client_id=tokentop,secret_env=CS,scope=api-A",
		},
		{
			"http://app.example/getToken",
			`http://app.example/getToken#body={"username":"mallory"}`,
			"http://app.example/getToken#method=GET",
			"http://app.example/getToken#header_env=Authorization:AUTH",
			"http://app.example/getToken#header_env=Authorization:AUTH2",
			"http://app.example/getToken#header=X-User:mallory",
			"http://app.example/getToken#token=data.admin",
			"http://app.example/getToken?as=mallory",
		},
		{"exec:echo alice", "exec:echo mallory"},
	}
	for _, specs := range groups {
		seen := map[string]string{}
		for _, spec := range specs {
			id := cacheIdentityOf(t, spec, env)
			if again := cacheIdentityOf(t, spec, env); again != id {
				t.Errorf("%s: two adapters of one configuration give %s and %s", spec, id, again)
			}
			if prev, dup := seen[id]; dup {
				t.Errorf("%s and %s share the cache identity %s", prev, spec, id)
			}
			seen[id] = spec
			for _, secret := range env {
				if strings.Contains(id, secret) || strings.Contains(id, strings.TrimPrefix(secret, "Bearer ")) {
					t.Errorf("%s: the cache identity %s shows a secret", spec, id)
				}
			}
		}
	}
}
