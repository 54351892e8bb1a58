package issuer

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: a hung
// request, a command's I/O copier, a timer.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
