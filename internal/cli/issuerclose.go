package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// userDeleter is an issuer that deletes at exit what it created (acs:
// deletes its Communication users), and can stop waiting for it.
type userDeleter interface {
	CloseContext(ctx context.Context, deleting func(users int)) error
}

// untilInterrupted returns a context that ends at the next SIGINT or SIGTERM.
func untilInterrupted(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// closeIssuer closes the issuer at the end of a run and prints its error on
// stderr. An issuer that deletes users says how many while it waits, and
// stops waiting when the context of interrupted ends (a second Ctrl-C),
// naming the users left.
func closeIssuer(iss io.Closer, stderr io.Writer, interrupted func(context.Context) (context.Context, context.CancelFunc)) error {
	var err error
	if d, ok := iss.(userDeleter); ok {
		ctx, stop := interrupted(context.Background())
		err = d.CloseContext(ctx, func(users int) {
			noun := "users"
			if users == 1 {
				noun = "user"
			}
			fmt.Fprintf(stderr, "tokentop: deleting %d %s (Ctrl-C again to skip)\n", users, noun)
		})
		stop()
	} else {
		err = iss.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "tokentop: %v\n", err)
	}
	return err
}
