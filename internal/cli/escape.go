package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
)

// escape makes text from a file or a connector safe for a terminal: control
// characters (C0, DEL, C1), and format characters that reorder or hide
// text (bidi overrides, zero-width), are shown as \xNN or \uNNNN escapes
// instead of acting on the terminal.
func escape(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafeRune(r):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// lineEscaper passes a child's output through escape line by line, so a
// connector's stderr cannot drive the terminal (move the cursor, retitle
// the window, hide text).
type lineEscaper struct {
	mu      sync.Mutex
	w       io.Writer
	partial []byte
}

func (l *lineEscaper) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.partial = append(l.partial, b...)
			if len(l.partial) > 64<<10 { // a line without end: pass it on in parts
				l.flushLocked()
			}
			return n, nil
		}
		l.partial = append(l.partial, b[:i]...)
		if err := l.flushLocked(); err != nil {
			return n, err
		}
		b = b[i+1:]
	}
	return n, nil
}

// Flush writes what is left of an unfinished line.
func (l *lineEscaper) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) == 0 {
		return nil
	}
	return l.flushLocked()
}

func (l *lineEscaper) flushLocked() error {
	// Tabs stay: log formats line columns up with them.
	parts := strings.Split(string(l.partial), "\t")
	for i := range parts {
		parts[i] = escape(parts[i])
	}
	line := strings.Join(parts, "\t") + "\n"
	l.partial = l.partial[:0]
	_, err := io.WriteString(l.w, line)
	return err
}
