package credential_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"tokentop/credential"
)

// fetchToken stands in for a call to an issuer (an app server's /getToken,
// say): it returns an unsigned JWT valid for an hour.
func fetchToken(ctx context.Context) (credential.AccessToken, error) {
	exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	enc := base64.RawURLEncoding.EncodeToString
	jwt := enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"sub":"alice","exp":`+exp+`}`)) + "." + enc([]byte("sig"))
	return credential.AccessToken{Token: jwt}, nil // ExpiresOn is read from the exp claim
}

func Example() {
	policy, err := credential.PolicyByName("tokentop")
	if err != nil {
		fmt.Println(err)
		return
	}
	cred, err := credential.New(credential.Options{
		Refresher:          fetchToken,
		RefreshProactively: true, // refresh 10 minutes before expiry, in the background
		Policy:             policy,
		OnEvent: func(e credential.Event) {
			if e.Kind == credential.EventSucceeded {
				fmt.Printf("refreshed (%s), valid for about %v\n", e.Reason, time.Until(e.ExpiresOn).Round(time.Hour))
			}
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cred.Dispose() // stops timers and any refresh in flight

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := cred.GetToken(ctx) // waits for the initial refresh; later calls are a single atomic load
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("token expires in about", time.Until(tok.ExpiresOn).Round(time.Hour))
	fmt.Println("phase:", cred.Snapshot().Phase)
	// Output:
	// refreshed (initial), valid for about 1h0m0s
	// token expires in about 1h0m0s
	// phase: valid
}
