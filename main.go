// Command tokentop is a terminal UI for watching token credentials live:
// expiry countdowns, proactive and on-demand refreshes with their retries,
// aborts, disposal and sign-out with revocation, against a pluggable issuer.
// See README.md, or run `tokentop help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"tokentop/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Getenv, cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
