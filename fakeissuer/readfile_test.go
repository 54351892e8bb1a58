package fakeissuer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFileLimitedStopsAtTheLimitWhateverTheFileClaims(t *testing.T) {
	// /dev/zero reports size 0 and never ends: a size check or os.ReadFile
	// would read until memory runs out.
	if _, err := ReadFileLimited("/dev/zero", 1024); err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("ReadFileLimited(/dev/zero) = %v, want an error naming the limit", err)
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFileLimited(file, 10); err != nil || string(b) != "0123456789" {
		t.Errorf("a file of exactly the limit = %q, %v", b, err)
	}
	if _, err := ReadFileLimited(file, 9); err == nil {
		t.Error("a file one byte over the limit was read")
	}
	if _, err := ReadFileLimited(filepath.Join(t.TempDir(), "missing"), 10); !os.IsNotExist(err) {
		t.Errorf("a missing file = %v, want a not-exist error", err)
	}
}
