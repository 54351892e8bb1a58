package tokencache

import (
	"context"
	"errors"
	"testing"
)

// Here (a headless box with no D-Bus secret service) OpenKeyring must say so
// with ErrNoSecretStore, whose text tells the user what to do instead.
func TestOpenKeyringWithoutSecretStore(t *testing.T) {
	k, err := OpenKeyring(context.Background())
	if err == nil {
		k.Close()
		t.Skip("an OS secret store is reachable here; this test checks the headless case")
	}
	if !errors.Is(err, ErrNoSecretStore) {
		t.Fatalf("OpenKeyring error = %v, want one wrapping ErrNoSecretStore", err)
	}
	t.Log(err)
}
