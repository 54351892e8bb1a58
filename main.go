// Command tokentop is a terminal UI for watching token credentials live.
package main

import "fmt"

func main() {
	fmt.Println("tokentop: the TUI is not built yet; see README.md")
}
