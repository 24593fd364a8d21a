// Command httpapp-server serves the example web app on -addr, accepting the
// token in BATON_TOKEN.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/batonkit/batonkit/examples/httpapp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "where to listen")
	flag.Parse()
	token := os.Getenv("BATON_TOKEN")
	if token == "" {
		fmt.Fprintln(os.Stderr, "httpapp-server: set BATON_TOKEN to the token clients must send")
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "httpapp-server: serving the example app on http://%s/api/\n", *addr)
	if err := http.ListenAndServe(*addr, httpapp.NewApp(token)); err != nil {
		fmt.Fprintln(os.Stderr, "httpapp-server:", err)
		os.Exit(1)
	}
}
