package cli_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/batonkit/batonkit/internal/cli"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// Names in a crafted file cannot act on the terminal: escape sequences,
// C1 controls, BEL/BS/DEL and bidi overrides print escaped and visible in
// console output; JSON stays as protojson writes it.
func TestConsoleOutputEscapesControlCharacters(t *testing.T) {
	evil := "ad\x1b]0;pwned\x07min\x1b[2J\u009b\b\x7f\u202eeman\tx\ny"
	path := syncFile(t, func(ctx context.Context, w *c1z.SyncWriter) error {
		if err := w.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user", DisplayName: evil}); err != nil {
			return err
		}
		return w.PutResources(ctx, &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}, DisplayName: evil})
	})
	for _, args := range [][]string{{"resources"}, {"resource-types"}} {
		out, stderr, code := run(t, append([]string{"-f", path}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, stderr)
		}
		for _, bad := range []string{"\x1b", "\x07", "\u009b", "\b", "\x7f", "\u202e", "pwned\a"} {
			if strings.Contains(out, bad) {
				t.Fatalf("%v printed %q raw:\n%q", args, bad, out)
			}
		}
		if !strings.Contains(out, `\x1b]0;pwned\x07`) || !strings.Contains(out, `\u202e`) {
			t.Fatalf("%v: the characters are not shown escaped:\n%q", args, out)
		}
	}
	out, _, _ := run(t, "-f", path, "-o", "json", "resources")
	if !strings.Contains(out, `\u001b]0;pwned`) {
		t.Fatalf("JSON output changed: %q", out)
	}
}

// An export read on a terminal shows names escaped; piped to a program or
// a file it stays exactly as stored.
func TestExportToATerminalIsEscaped(t *testing.T) {
	evil := "ad\x1b]0;pwned\x07min\u009b\u202eeman"
	path := syncFile(t, func(ctx context.Context, w *c1z.SyncWriter) error {
		g := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "group", Resource: "g1"}, DisplayName: evil}
		ent := &connectorv2.Entitlement{Id: "group:g1:member", Resource: g, Slug: "member", DisplayName: evil}
		u := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}, DisplayName: evil}
		return errors.Join(
			w.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user"}, &connectorv2.ResourceType{Id: "group"}),
			w.PutResources(ctx, g, u), w.PutEntitlements(ctx, ent),
			w.PutGrants(ctx, &connectorv2.Grant{Id: "group:g1:member:user:u1", Entitlement: ent, Principal: u}))
	})
	for _, format := range []string{"csv", "json"} {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		var seen bytes.Buffer
		copied := make(chan struct{})
		go func() { io.Copy(&seen, ptmx); close(copied) }()
		code := cli.Execute(context.Background(), []string{"-f", path, "export", format}, tty, io.Discard)
		tty.Close()
		<-copied
		ptmx.Close()
		if code != 0 {
			t.Fatalf("export %s: exit %d", format, code)
		}
		for _, bad := range []string{"\x1b", "\u009b", "\u202e"} {
			if strings.Contains(seen.String(), bad) {
				t.Fatalf("export %s to a terminal printed %q raw:\n%q", format, bad, seen.String())
			}
		}
		if !strings.Contains(seen.String(), `]0;pwned`) {
			t.Fatalf("export %s to a terminal: the name is missing:\n%q", format, seen.String())
		}
	}
	piped, _, _ := run(t, "-f", path, "export", "csv")
	if !strings.Contains(piped, evil) {
		t.Fatalf("export csv into a pipe changed the stored text: %q", piped)
	}
}
