package credential

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestPrintingATokenShowsItsFingerprintAndExpiryNeverTheToken(t *testing.T) {
	exp := time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)
	tok := AccessToken{Token: mintJWT(exp), ExpiresOn: exp}
	snap := Snapshot{Token: tok}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		for _, v := range []any{tok, &tok, snap, []AccessToken{tok}} {
			got := fmt.Sprintf(format, v)
			if strings.Contains(got, tok.Token) || strings.Contains(got, tok.Token[:20]) {
				t.Errorf("Sprintf(%q, %T) shows the token: %s", format, v, got)
			}
			if !strings.Contains(got, tok.Fingerprint()) || !strings.Contains(got, "2026-11-22T14:00:00Z") {
				t.Errorf("Sprintf(%q, %T) = %s, want the fingerprint %s and the expiry", format, v, got, tok.Fingerprint())
			}
		}
	}
	if len(tok.Fingerprint()) != 8 || tok.Fingerprint() == (AccessToken{Token: "other"}).Fingerprint() {
		t.Errorf("Fingerprint = %q, want 8 hex digits that tell tokens apart", tok.Fingerprint())
	}
	if got := fmt.Sprint(AccessToken{}); got != "AccessToken{none}" {
		t.Errorf("empty token prints %q", got)
	}
}
