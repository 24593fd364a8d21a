package cli

import (
	"fmt"
	"strings"
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
