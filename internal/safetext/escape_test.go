package safetext

import (
	"bytes"
	"testing"
)

func TestLineEscaperKeepsAChildFromDrivingTheTerminal(t *testing.T) {
	var out bytes.Buffer
	l := &LineWriter{W: &out}
	for _, chunk := range []string{"level=info msg=ok\n", "ti\x1b]0;pwned\x07tle\tcol", "umn\nbidi \u202e", "txt"} {
		if _, err := l.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "level=info msg=ok\n" + `ti\x1b]0;pwned\x07tle` + "\tcolumn\n" + `bidi \u202etxt` + "\n"
	if out.String() != want {
		t.Fatalf("got %q\nwant %q", out.String(), want)
	}
}
