// Package testport finds free loopback ports for tests that start real
// servers (slapd, PostgreSQL) or need an address nothing answers on.
package testport

import (
	"net"
	"testing"
)

// Free is a loopback port nothing listens on at the time of the call.
func Free(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
