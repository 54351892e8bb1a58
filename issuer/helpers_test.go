package issuer_test

import (
	"encoding/base64"
	"fmt"
	"time"
)

// testJWT returns an unsigned-looking JWT whose exp is exp; the adapters
// never check signatures, only the expiry.
func testJWT(exp time.Time) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"ES256","typ":"JWT"}`))
	payload := enc.EncodeToString([]byte(fmt.Sprintf(`{"sub":"alice","exp":%d}`, exp.Unix())))
	return header + "." + payload + "." + enc.EncodeToString([]byte("signature"))
}

// fixedNow is the instant tests pin Options.Now to.
var fixedNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func nowFunc() time.Time { return fixedNow }
