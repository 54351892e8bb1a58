// Command tokentop is a terminal UI for watching token credentials live.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "fakeissuer" {
		os.Exit(runFakeIssuer(os.Args[2:], os.Stdout, os.Stderr))
	}
	fmt.Println("tokentop: the TUI is not built yet; see README.md")
}
