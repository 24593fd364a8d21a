package safetext

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"unicode/utf8"
)

// The names of fields, parameters and headers that usually carry a
// credential, and the schemes of Authorization values.
const secretName = `[a-z0-9_.-]*(?:token|secret|password|passwd|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|authorization|auth|cookie|session)`

var (
	// "password": "x" (JSON)
	jsonSecret = regexp.MustCompile(`(?i)("` + secretName + `"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	// Bearer x, Basic x
	schemeSecret = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+`)
	// password: x, api_key=x, token='x' (forms, queries, YAML, logs)
	pairSecret = regexp.MustCompile(`(?i)\b(` + secretName + `)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;"'}\]]+)`)
)

// Redact hides values that look like credentials, keeping their names
// so the message still says what was wrong.
func Redact(s string) string {
	s = jsonSecret.ReplaceAllString(s, `$1"[redacted]"`)
	s = schemeSecret.ReplaceAllString(s, `$1 [redacted]`)
	return pairSecret.ReplaceAllStringFunc(s, func(m string) string {
		sub := pairSecret.FindStringSubmatch(m)
		if sub[3] == `"[redacted]"` || sub[3] == "[redacted]" {
			return m
		}
		return sub[1] + sub[2] + "[redacted]"
	})
}

// Clip keeps the first max bytes of s (on a character boundary) and says
// how many were cut.
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("... (%d more bytes)", len(s)-cut)
}

// MaxError is how much of one error message Error keeps.
const MaxError = 4096

// Error is how an error from outside is shown: credential-looking values
// redacted, clipped to MaxError, each line escaped.
func Error(err error) string {
	if err == nil {
		return ""
	}
	lines := strings.Split(Clip(Redact(err.Error()), MaxError), "\n")
	for i, l := range lines {
		lines[i] = Escape(l)
	}
	return strings.Join(lines, "\n")
}

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr that shows strings
// redacted and escaped and errors as Error does, so a log line carries no terminal
// control and no credential an app's answer held.
func ReplaceAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); s != "" {
			a.Value = slog.StringValue(Escape(Redact(s)))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			a.Value = slog.StringValue(Error(err))
		}
	}
	return a
}

// Line is Error for one line of text: newlines are escaped too.
func Line(s string) string { return Escape(Clip(Redact(s), MaxError)) }
