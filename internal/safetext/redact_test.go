package safetext

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"password": "hunter2", "user": "ada"}`, `{"password": "[redacted]", "user": "ada"}`},
		{`GET /x?api_key=sk-1&page=2`, `GET /x?api_key=[redacted]&page=2`},
		{`password: hunter2`, `password: [redacted]`},
		{`client_secret='s3cr3t' next`, `client_secret=[redacted] next`},
		{`Authorization: Bearer abc.def`, `Authorization: [redacted] [redacted]`},
		{`InvalidAccessKeyId: the key AKIA1 does not exist`, `InvalidAccessKeyId: the key AKIA1 does not exist`},
		{`no such user "ada"`, `no such user "ada"`},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestErrorIsBoundedEscapedAndRedacted(t *testing.T) {
	long := errors.New("boom \x1b[2J password=x " + strings.Repeat("A", 10*MaxError) + "\nsecond \u202eline")
	got := Error(long)
	if len(got) > MaxError+100 || strings.Contains(got, "\x1b") || strings.Contains(got, "password=x") || !strings.Contains(got, "more bytes") {
		t.Fatalf("Error = %.200q...", got)
	}
	if Line("a\nb") != `a\x0ab` {
		t.Fatalf("Line keeps a newline: %q", Line("a\nb"))
	}
}

func TestReplaceAttr(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: ReplaceAttr}))
	log.Warn("call failed", "body", "token=abc \u202e \u009b", "error", errors.New("api_key: k1 \x1b]0;t\x07"))
	for _, bad := range []string{"abc", "k1", "\u202e", "\u009b", `\u001b`} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("log line carries %q: %s", bad, buf.String())
		}
	}
}
