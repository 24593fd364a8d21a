package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/batonkit/batonkit/internal/safefs"
	"github.com/batonkit/batonkit/internal/safetext"
)

// connectorLog keeps what a checked connector writes to stderr (its own
// logs, WARN lines of a correct connector included) and the checker's
// warnings out of the report, in a file the report names. Shown inline
// they read as failures when every check passed.
type connectorLog struct {
	path   string
	f      *os.File // nil: "-", straight to stderr
	w      *safetext.LineWriter
	temp   bool // ours to remove when nothing was written
	lines  int
	stderr io.Writer
}

// openConnectorLog opens path ("" for a new private temporary file, "-"
// for stderr as it comes).
func openConnectorLog(path string, stderr io.Writer) (*connectorLog, error) {
	l := &connectorLog{path: path, stderr: stderr}
	var err error
	switch path {
	case "-":
		l.w = &safetext.LineWriter{W: stderr}
		return l, nil
	case "":
		l.f, err = os.CreateTemp("", "baton-conformance-*.log") // 0600
		l.temp = true
	default:
		if err = safefs.CheckParent(path); err == nil {
			l.f, err = safefs.OpenOwned(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the connector's log: %w", err)
	}
	l.path = l.f.Name()
	l.w = &safetext.LineWriter{W: countLines{l}}
	return l, nil
}

type countLines struct{ l *connectorLog }

func (c countLines) Write(b []byte) (int, error) {
	c.l.lines += bytes.Count(b, []byte("\n"))
	return c.l.f.Write(b)
}

func (l *connectorLog) Write(b []byte) (int, error) { return l.w.Write(b) }

// close ends the log and says where it is ("" when there is nothing to
// read: an empty temporary log is removed).
func (l *connectorLog) close() string {
	l.w.Flush()
	if l.f == nil {
		return ""
	}
	l.f.Close()
	if l.lines == 0 && l.temp {
		os.Remove(l.path)
		return ""
	}
	return l.path
}

// tail writes the log's last n lines to w: the connector's own account of
// a failed check.
func (l *connectorLog) tail(w io.Writer, n int) {
	if l.f == nil || l.lines == 0 {
		return
	}
	f, err := os.Open(l.path)
	if err != nil {
		return
	}
	defer f.Close()
	var last []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		last = append(last, sc.Text())
		if len(last) > n {
			last = last[1:]
		}
	}
	fmt.Fprintf(w, "the connector's last log lines (all of them: %s):\n  %s\n", l.path, strings.Join(last, "\n  "))
}

// plural says "1 line", "2 lines".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
