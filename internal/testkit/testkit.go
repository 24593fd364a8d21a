// Package testkit holds the small helpers every test package of the
// module wants, so each does not define its own.
package testkit

import "testing"

// Must fails the test at once when err is not nil.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
