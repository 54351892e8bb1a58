package metrics

import (
	"testing"

	"go.uber.org/goleak"
)

// The server's goroutine ends with Close: no test leaves one behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
