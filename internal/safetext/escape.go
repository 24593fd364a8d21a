package safetext

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
)

// Escape makes s safe for a terminal: control and format characters are
// shown as escapes instead of acting on it.
func Escape(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
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

// LineWriter passes a stream to W through Escape line by line (tabs
// kept: log formats line columns up with them), so a child's output
// cannot drive the terminal. Flush writes an unfinished last line.
type LineWriter struct {
	W       io.Writer
	mu      sync.Mutex
	partial []byte
}

func (l *LineWriter) Write(b []byte) (int, error) {
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
func (l *LineWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) == 0 {
		return nil
	}
	return l.flushLocked()
}

func (l *LineWriter) flushLocked() error {
	parts := strings.Split(string(l.partial), "\t")
	for i := range parts {
		parts[i] = Escape(parts[i])
	}
	l.partial = l.partial[:0]
	_, err := io.WriteString(l.W, strings.Join(parts, "\t")+"\n")
	return err
}
