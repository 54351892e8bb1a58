package fakeissuer

import (
	"fmt"
	"io"
	"os"
)

// Limits on the files the fake issuer reads its configuration from.
const (
	// MaxSecretFileBytes bounds a client secret or admin token file.
	MaxSecretFileBytes = 4 << 10
	// MaxKeyFileBytes bounds a signing key file; a PEM RSA 4096 key is
	// about 3.3 KiB.
	MaxKeyFileBytes = 64 << 10
)

// ReadFileLimited reads the file at path, refusing one longer than max
// bytes. It reads at most max+1 bytes whatever the file claims its size is,
// so a device such as /dev/zero or a FIFO cannot exhaust memory.
func ReadFileLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes; is it the right file?", path, max)
	}
	return b, nil
}
