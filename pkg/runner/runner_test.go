package runner_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/s3test"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/runner"
)

func TestFlagEnvFilePrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "conf.yaml")
	if err := os.WriteFile(cfg, []byte("file: from-file.c1z\ndb: app.db\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The file alone.
	ok(t, runIn(t, dir, nil, bins.sqlapp, "--config", cfg))
	// BATON_CONFIG_PATH finds the same file; the environment beats it.
	ok(t, runIn(t, dir, []string{"BATON_CONFIG_PATH=" + cfg, "BATON_FILE=from-env.c1z"}, bins.sqlapp))
	// A flag beats both.
	ok(t, runIn(t, dir, []string{"BATON_CONFIG_PATH=" + cfg, "BATON_FILE=from-env.c1z"}, bins.sqlapp, "--file", "from-flag.c1z"))
	for _, f := range []string{"from-file.c1z", "from-env.c1z", "from-flag.c1z"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s was not written: %v", f, err)
		}
	}
	// Defaults: no flags at all writes sync.c1z and creates sqlapp.db.
	ok(t, runIn(t, dir, nil, bins.sqlapp))
	for _, f := range []string{"sync.c1z", "sqlapp.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("default %s was not written: %v", f, err)
		}
	}
}

func TestConfigErrorsNameFlagAndEnv(t *testing.T) {
	dir := t.TempDir()
	r := runIn(t, dir, nil, bins.testapp, "--users", "many")
	if r.code != 2 || !strings.Contains(r.stderr, "--users") || !strings.Contains(r.stderr, "BATON_USERS") {
		t.Fatalf("exit %d, stderr %q: want a usage error naming --users and BATON_USERS", r.code, r.stderr)
	}
	r = runIn(t, dir, []string{"BATON_LOG_LEVEL=loud"}, bins.testapp)
	if r.code != 2 || !strings.Contains(r.stderr, "BATON_LOG_LEVEL") {
		t.Fatalf("bad env value: exit %d, %q", r.code, r.stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "c.yaml"), []byte("no-such-setting: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runIn(t, dir, nil, bins.testapp, "--config", "c.yaml")
	if r.code != 2 || !strings.Contains(r.stderr, "no-such-setting") {
		t.Fatalf("unknown setting in file: exit %d, %q", r.code, r.stderr)
	}
}

// A secret setting, and the passwords a connector generates, appear in no
// log (text or JSON, at debug level), no output, no error and no sync
// file, whatever the operation.
func TestSecretsNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	const secret = "hunter2-very-secret"
	env := []string{"BATON_API_KEY=" + secret}
	var runs []result
	for _, format := range []string{"text", "json"} {
		debug := []string{"--log-level", "debug", "--log-format", format, "--file", "s.c1z"}
		runs = append(runs,
			ok(t, runIn(t, dir, env, bins.testapp, debug...)),
			ok(t, runIn(t, dir, env, bins.testapp, append(debug, "--provisioning", "--grant-entitlement", "group:g001:member", "--grant-principal", "u002", "--grant-principal-type", "user")...)),
			ok(t, runIn(t, dir, env, bins.testapp, append(debug, "--provisioning", "--revoke-grant", "group:g002:member:user:u002")...)),
			ok(t, runIn(t, dir, env, bins.testapp, append(debug, "--provisioning", "--create-account-login", "ada"+format, "--create-account-email", "ada@example.com",
				"--credentials-file", "created-"+format+".txt")...)),
			ok(t, runIn(t, dir, env, bins.testapp, append(debug, "--provisioning", "--rotate-credentials", "u001", "--rotate-credentials-type", "user",
				"--credentials-file", "rotated-"+format+".txt")...)),
			ok(t, runIn(t, dir, env, bins.testapp, append(debug, "--provisioning", "--list-ticket-schemas")...)),
			runIn(t, dir, env, bins.testapp, append(debug, "--provisioning", "--grant-entitlement", "nosuch:x:y", "--grant-principal", "u1", "--grant-principal-type", "user")...),
			ok(t, runIn(t, dir, env, bins.testapp, append(debug, "capabilities")...)),
			ok(t, runIn(t, dir, env, bins.testapp, append(debug, "config")...)),
		)
	}
	runs = append(runs, runIn(t, dir, nil, bins.testapp, "--api-key", secret, "--help"))
	leaks := []string{secret}
	for _, f := range []string{"created-text.txt", "rotated-text.txt", "created-json.txt", "rotated-json.txt"} {
		leaks = append(leaks, credentialsIn(t, filepath.Join(dir, f)))
	}
	for _, r := range runs {
		for _, l := range leaks {
			if strings.Contains(r.stdout+r.stderr, l) {
				t.Fatalf("a secret (%q) leaked:\n%s%s", l, r.stdout, r.stderr)
			}
		}
	}
	db := c1ztest.Decompress(t, filepath.Join(dir, "s.c1z"))
	for _, l := range leaks {
		if bytes.Contains(db, []byte(l)) {
			t.Fatalf("a secret (%q) is in the sync file", l)
		}
	}
	flagged := ok(t, runIn(t, dir, nil, bins.testapp, "--api-key", secret, "--file", "f.c1z"))
	if strings.Count(flagged.stderr, "BATON_API_KEY") != 1 || strings.Contains(flagged.stderr, secret) {
		t.Fatalf("a secret given as a flag does not get exactly one warning naming BATON_API_KEY:\n%s", flagged.stderr)
	}
	help := runIn(t, dir, nil, bins.testapp, "--help")
	if !strings.Contains(help.stdout, "--api-key") || !strings.Contains(help.stdout, "BATON_API_KEY") {
		t.Fatalf("--help does not document the field and its env var:\n%s", help.stdout)
	}
}

func TestConfigAndCapabilitiesSubcommands(t *testing.T) {
	dir := t.TempDir()
	r := ok(t, runIn(t, dir, nil, bins.sqlapp, "config"))
	var cfg struct {
		Fields []struct {
			Name string `json:"name"`
		} `json:"fields"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &cfg); err != nil {
		t.Fatalf("config output is not JSON: %v\n%s", err, r.stdout)
	}
	found := false
	for _, f := range cfg.Fields {
		found = found || f.Name == "db"
	}
	if !found {
		t.Fatalf("config output lacks the db field: %s", r.stdout)
	}
	r = ok(t, runIn(t, dir, nil, bins.sqlapp, "capabilities"))
	for _, c := range []string{"CAPABILITY_PROVISION", "CAPABILITY_ACCOUNT_PROVISIONING", "CAPABILITY_CREDENTIAL_ROTATION", "CAPABILITY_RESOURCE_DELETE"} {
		if !strings.Contains(r.stdout, c) {
			t.Errorf("capabilities lack %s:\n%s", c, r.stdout)
		}
	}
}

// grantsOf lists the grant ids of a sync file with the baton CLI.
func grantsOf(t *testing.T, dir, file string) string {
	t.Helper()
	return ok(t, runIn(t, dir, nil, bins.baton, "-f", file, "grants")).stdout
}

func TestGrantResyncRevokeResync(t *testing.T) {
	dir := t.TempDir()
	ok(t, runIn(t, dir, nil, bins.sqlapp))
	if strings.Contains(grantsOf(t, dir, "sync.c1z"), "role:admin:assigned  user:u2") {
		t.Fatal("grace is already an admin before the grant")
	}
	r := ok(t, runIn(t, dir, nil, bins.sqlapp, "--provisioning", "--grant-entitlement", "role:admin:assigned",
		"--grant-principal", "u2", "--grant-principal-type", "user"))
	if !strings.Contains(r.stdout, "role:admin:assigned:user:u2") {
		t.Fatalf("grant output does not show the new grant:\n%s", r.stdout)
	}
	ok(t, runIn(t, dir, nil, bins.sqlapp))
	if !strings.Contains(grantsOf(t, dir, "sync.c1z"), "user:u2") {
		t.Fatal("the re-sync does not show the new grant")
	}
	got := ok(t, runIn(t, dir, nil, bins.baton, "-f", "sync.c1z", "grants", "-e", "role:admin:assigned")).stdout
	if !strings.Contains(got, "user:u2") {
		t.Fatalf("grants -e role:admin:assigned:\n%s", got)
	}
	ok(t, runIn(t, dir, nil, bins.sqlapp, "--provisioning", "--revoke-grant", "role:admin:assigned:user:u2"))
	ok(t, runIn(t, dir, nil, bins.sqlapp))
	got = ok(t, runIn(t, dir, nil, bins.baton, "-f", "sync.c1z", "grants", "-e", "role:admin:assigned")).stdout
	if strings.Contains(got, "user:u2") {
		t.Fatalf("the revoked grant is still there:\n%s", got)
	}
	// Nested groups: adding a user to platform makes them a member of
	// engineering and everyone after expansion.
	ok(t, runIn(t, dir, nil, bins.sqlapp, "--provisioning", "--grant-entitlement", "group:platform:member",
		"--grant-principal", "u6", "--grant-principal-type", "user"))
	ok(t, runIn(t, dir, nil, bins.sqlapp))
	access := ok(t, runIn(t, dir, nil, bins.baton, "-f", "sync.c1z", "access", "-t", "user", "-r", "u6")).stdout
	for _, e := range []string{"group:platform:member", "group:engineering:member", "group:everyone:member"} {
		if !strings.Contains(access, e) {
			t.Errorf("u6's access lacks %s:\n%s", e, access)
		}
	}
}

func TestOneShotOperations(t *testing.T) {
	dir := t.TempDir()
	ok(t, runIn(t, dir, nil, bins.sqlapp))

	r := ok(t, runIn(t, dir, nil, bins.sqlapp, "--provisioning", "--create-account-login", "alan", "--create-account-email", "alan@example.com",
		"--create-account-profile", `{"name":"Alan Turing"}`, "--credentials-file", "alan.txt"))
	if !strings.Contains(r.stdout, "alan.txt") || !strings.Contains(r.stdout, "u-alan") || strings.Contains(r.stdout, "password: ") {
		t.Fatalf("create account output:\n%s", r.stdout)
	}
	created := credentialsIn(t, filepath.Join(dir, "alan.txt"))
	r = ok(t, runIn(t, dir, nil, bins.sqlapp, "--provisioning", "--rotate-credentials", "u-alan", "--rotate-credentials-type", "user", "--credentials-file", "rotated.txt"))
	if rotated := credentialsIn(t, filepath.Join(dir, "rotated.txt")); rotated == created || strings.Contains(r.stdout+r.stderr, rotated) {
		t.Fatalf("rotate: the new password is the old one, or it was printed:\n%s", r.stdout)
	}
	if r := runIn(t, dir, nil, bins.sqlapp, "--provisioning", "--rotate-credentials", "u-alan", "--rotate-credentials-type", "user", "--credentials-file", "rotated.txt"); r.code == 0 {
		t.Fatal("an existing credentials file was overwritten")
	}
	ok(t, runIn(t, dir, nil, bins.sqlapp))
	if !strings.Contains(ok(t, runIn(t, dir, nil, bins.baton, "-f", "sync.c1z", "resources", "-t", "user")).stdout, "Alan Turing") {
		t.Fatal("the new account is not in the re-sync")
	}
	ok(t, runIn(t, dir, nil, bins.sqlapp, "--provisioning", "--delete-resource", "u-alan", "--delete-resource-type", "user"))
	ok(t, runIn(t, dir, nil, bins.sqlapp))
	if strings.Contains(ok(t, runIn(t, dir, nil, bins.baton, "-f", "sync.c1z", "resources", "-t", "user")).stdout, "Alan Turing") {
		t.Fatal("the deleted account is still in the re-sync")
	}

	// Tickets and actions, with the test app (which implements them).
	ok(t, runIn(t, dir, nil, bins.testapp, "--file", "t.c1z"))
	r = ok(t, runIn(t, dir, nil, bins.testapp, "--file", "t.c1z", "--provisioning", "--list-ticket-schemas"))
	if !strings.Contains(r.stdout, "IT request") {
		t.Fatalf("ticket schemas:\n%s", r.stdout)
	}
	tmpl := filepath.Join(dir, "ticket.json")
	if err := os.WriteFile(tmpl, []byte(`{"schema_id":"it","display_name":"Laptop","description":"new laptop","labels":["hw"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r = ok(t, runIn(t, dir, nil, bins.testapp, "--file", "t.c1z", "--provisioning", "--create-ticket", "--ticket-template-path", tmpl))
	if !strings.Contains(r.stdout, `"Laptop"`) || !strings.Contains(r.stdout, `"T-1"`) {
		t.Fatalf("create ticket:\n%s", r.stdout)
	}
	r = runIn(t, dir, nil, bins.testapp, "--file", "t.c1z", "--provisioning", "--get-ticket", "T-404")
	if r.code == 0 || !strings.Contains(r.stderr, "NotFound") {
		t.Fatalf("get missing ticket: exit %d, %s", r.code, r.stderr)
	}
	r = ok(t, runIn(t, dir, nil, bins.testapp, "--file", "t.c1z", "--provisioning", "--invoke-action", "lock_user", "--invoke-action-args", `{"user_id":"u001"}`))
	if !strings.Contains(r.stdout, "BATON_ACTION_STATUS_COMPLETE") || !strings.Contains(r.stdout, "u001") {
		t.Fatalf("invoke action:\n%s", r.stdout)
	}
	// Unknown ids fail with a message that says where they were looked up.
	r = runIn(t, dir, nil, bins.sqlapp, "--provisioning", "--revoke-grant", "nope")
	if r.code == 0 || !strings.Contains(r.stderr, "sync.c1z") {
		t.Fatalf("revoke of an unknown grant: exit %d, %s", r.code, r.stderr)
	}
	r = runIn(t, dir, nil, bins.sqlapp, "--grant-entitlement", "x")
	if r.code != 2 || !strings.Contains(r.stderr, "--provisioning") {
		t.Fatalf("operation without --provisioning: exit %d, %s", r.code, r.stderr)
	}
}

func TestChildProcessSyncEqualsInProcess(t *testing.T) {
	dir := t.TempDir()
	ok(t, runIn(t, dir, nil, bins.sqlapp, "--db", "app.db", "--file", "inproc.c1z"))
	ok(t, runIn(t, dir, nil, bins.baton, "sync", "--connector", bins.sqlapp, "-f", "child.c1z", "--", "--db", "app.db"))
	a, b := c1ztest.Dump(t, filepath.Join(dir, "inproc.c1z")), c1ztest.Dump(t, filepath.Join(dir, "child.c1z"))
	if !slices.Equal(a, b) || len(a) == 0 {
		t.Fatalf("child-process sync (%d objects) differs from in-process sync (%d objects)", len(b), len(a))
	}
	// The test app too: a connector with child types, static entitlements
	// and expansion.
	ok(t, runIn(t, dir, nil, bins.testapp, "--file", "t1.c1z"))
	ok(t, runIn(t, dir, nil, bins.baton, "sync", "--connector", bins.testapp, "-f", "t2.c1z"))
	if !slices.Equal(c1ztest.Dump(t, filepath.Join(dir, "t1.c1z")), c1ztest.Dump(t, filepath.Join(dir, "t2.c1z"))) {
		t.Fatal("test app: child-process sync differs from in-process sync")
	}
}

// credentialsIn reads the password from a credentials file, which must be
// private.
func credentialsIn(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file %s: %v, mode %v; want mode 0600", path, err, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	_, pw, ok := strings.Cut(strings.TrimSpace(string(b)), ": ")
	if !ok || len(pw) < 6 {
		t.Fatalf("credentials file %s holds %q", path, b)
	}
	return pw
}

// Revoke receives the grant with its entitlement as stored (the test app
// refuses one without slug and display name, as an API keyed by role
// name would fail); a grant held only through a group is refused, naming
// the grant that gives it; the log says what happened.
func TestRevokeUsesTheStoredGrant(t *testing.T) {
	dir := t.TempDir()
	ok(t, runIn(t, dir, nil, bins.testapp, "--file", "t.c1z"))
	st, err := c1z.OpenReader(t.Context(), filepath.Join(dir, "t.c1z"))
	if err != nil {
		t.Fatal(err)
	}
	var direct, inherited string
	var via string
	for g, err := range st.Grants(t.Context(), c1z.GrantQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		if g.GetPrincipal().GetId().GetResourceType() != "user" || g.GetEntitlement().GetResource().GetId().GetResourceType() != "group" {
			continue
		}
		src := g.GetSources().GetSources()
		switch {
		case len(src) == 0 && direct == "":
			direct = g.GetId()
		case len(src) > 0 && src[g.GetEntitlement().GetId()] == nil && inherited == "":
			inherited = g.GetId()
			for k := range src {
				via = k + ":user:" + g.GetPrincipal().GetId().GetResource()
			}
		}
	}
	st.Close(t.Context())
	if direct == "" || inherited == "" {
		t.Fatalf("the test app's file has no direct (%q) or inherited-only (%q) user grant", direct, inherited)
	}
	r := runIn(t, dir, nil, bins.testapp, "--file", "t.c1z", "--provisioning", "--revoke-grant", inherited)
	if r.code == 0 || !strings.Contains(r.stderr, "not held directly") || !strings.Contains(r.stderr, via) {
		t.Fatalf("revoking an inherited grant: exit %d, %s", r.code, r.stderr)
	}
	// A connector that says its Revoke handles inherited grants gets it.
	r = ok(t, runIn(t, dir, nil, bins.testapp, "--file", "t.c1z", "--revoke-inherited", "--provisioning", "--revoke-grant", inherited))
	if !strings.Contains(r.stderr, "the connector revokes such grants itself") || !strings.Contains(r.stderr, "msg=revoked") {
		t.Fatalf("an opted-in connector's inherited revoke:\n%s", r.stderr)
	}
	r = ok(t, runIn(t, dir, nil, bins.testapp, "--file", "t.c1z", "--provisioning", "--revoke-grant", direct))
	if !strings.Contains(r.stderr, "msg=revoked") {
		t.Fatalf("the log does not say the grant was revoked:\n%s", r.stderr)
	}

	// The sample app keeps its state: a second revoke changes nothing,
	// and says so.
	ok(t, runIn(t, dir, nil, bins.sqlapp, "--file", "s.c1z"))
	ok(t, runIn(t, dir, nil, bins.sqlapp, "--file", "s.c1z", "--provisioning", "--grant-entitlement", "role:admin:assigned", "--grant-principal", "u2", "--grant-principal-type", "user"))
	ok(t, runIn(t, dir, nil, bins.sqlapp, "--file", "s.c1z"))
	ok(t, runIn(t, dir, nil, bins.sqlapp, "--file", "s.c1z", "--provisioning", "--revoke-grant", "role:admin:assigned:user:u2"))
	r = ok(t, runIn(t, dir, nil, bins.sqlapp, "--file", "s.c1z", "--provisioning", "--revoke-grant", "role:admin:assigned:user:u2"))
	if !strings.Contains(r.stderr, "already revoked") {
		t.Fatalf("a second revoke does not say nothing changed:\n%s", r.stderr)
	}
}

// A grant to a principal type the entitlement is not grantable to is
// refused before it reaches the connector.
func TestGrantRespectsGrantableTo(t *testing.T) {
	dir := t.TempDir()
	ok(t, runIn(t, dir, nil, bins.testapp, "--file", "t.c1z"))
	r := runIn(t, dir, nil, bins.testapp, "--file", "t.c1z", "--provisioning", "--grant-entitlement", "group:g001:member",
		"--grant-principal", "admin", "--grant-principal-type", "role")
	if r.code != 2 || !strings.Contains(r.stderr, "can be granted to user, group only") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

// --help lists the connector's own settings apart from the SDK's, with
// typed flags.
func TestHelpGroupsTheConnectorsSettings(t *testing.T) {
	out := ok(t, runIn(t, t.TempDir(), nil, bins.testapp, "--help")).stdout
	own, sdk, ops := strings.Index(out, "Settings of baton-testapp:"), strings.Index(out, "Sync settings:"), strings.Index(out, "One-shot operations")
	key, workers := strings.Index(out, "--api-key"), strings.Index(out, "--workers int")
	if own < 0 || sdk < own || ops < sdk || key < own || key > sdk || workers < sdk || workers > ops || !strings.Contains(out, "--checkpoint-interval duration") {
		t.Fatalf("help is not grouped:\n%s", out)
	}
}

// One-shot operations are listed with --provisioning --help, and only
// those the connector implements: the sample app has no tickets or
// actions.
func TestHelpListsImplementedOperationsOnly(t *testing.T) {
	dir := t.TempDir()
	plain := ok(t, runIn(t, dir, nil, bins.testapp, "--help")).stdout
	if strings.Contains(plain, "--revoke-grant") || !strings.Contains(plain, "--provisioning --help") {
		t.Fatalf("plain --help lists operations, or does not say where they are:\n%s", plain)
	}
	for _, tc := range []struct {
		bin        string
		want, hide []string
	}{
		{bins.testapp, []string{"--revoke-grant", "--create-ticket", "--invoke-action", "--rotate-credentials"}, nil},
		{bins.sqlapp, []string{"--revoke-grant", "--create-account-login", "--delete-resource"}, []string{"--create-ticket", "--get-ticket", "--invoke-action"}},
	} {
		out := ok(t, runIn(t, dir, nil, tc.bin, "--provisioning", "--help")).stdout
		for _, f := range tc.want {
			if !strings.Contains(out, f+" ") {
				t.Errorf("%s --provisioning --help leaves out %s, which it implements", filepath.Base(tc.bin), f)
			}
		}
		for _, f := range tc.hide {
			if strings.Contains(out, f+" ") {
				t.Errorf("%s --provisioning --help lists %s, which it does not implement", filepath.Base(tc.bin), f)
			}
		}
	}
	// Settings the connector cannot be built from: every operation, and why.
	r := runIn(t, dir, nil, bins.testapp, "--provisioning", "--help", "--latency", "soon")
	if !strings.Contains(r.stdout, "--create-ticket") || !strings.Contains(r.stdout, "could not be built") {
		t.Fatalf("help with unusable settings:\n%s", r.stdout)
	}
}

// BATON_FILE=s3://bucket/key: the connector syncs into a local copy and
// uploads it; `baton -f s3://...` reads it back; `baton sync` does the
// same for a child connector. Secrets come from the AWS chain's
// environment and appear nowhere.
func TestSyncToS3(t *testing.T) {
	s := s3test.Start(t, "syncs")
	dir := t.TempDir()
	env := append(s3test.Env(t, s3test.AccessKey), "BATON_FILE=s3://syncs/team/t.c1z", "BATON_S3_ENDPOINT="+s.URL,
		"BATON_S3_PATH_STYLE=true", "BATON_S3_CACHE_DIR="+filepath.Join(dir, "cache"))
	r := ok(t, runIn(t, dir, env, bins.testapp))
	if !strings.Contains(r.stderr, "sync file uploaded") || strings.Contains(r.stderr, "secret-") {
		t.Fatalf("sync to s3:\n%s", r.stderr)
	}
	obj, err := s.Backend.HeadObject("syncs", "team/t.c1z")
	if err != nil || obj.Size == 0 {
		t.Fatalf("the object: %v %v", obj, err)
	}
	out := ok(t, runIn(t, dir, env, bins.baton, "-f", "s3://syncs/team/t.c1z", "resources", "-t", "user")).stdout
	if !strings.Contains(out, "u001") {
		t.Fatalf("baton -f s3:// resources:\n%s", out)
	}
	// A second run syncs again into the same file (two syncs, one object).
	ok(t, runIn(t, dir, env, bins.testapp))
	out = ok(t, runIn(t, dir, env, bins.baton, "-f", "s3://syncs/team/t.c1z", "syncs")).stdout
	if strings.Count(out, "full") != 2 {
		t.Fatalf("two syncs expected in the object:\n%s", out)
	}
	// baton sync with a child connector, into another key.
	ok(t, runIn(t, dir, env, bins.baton, "-f", "s3://syncs/child.c1z", "sync", "--connector", bins.testapp))
	if _, err := s.Backend.HeadObject("syncs", "child.c1z"); err != nil {
		t.Fatalf("baton sync did not upload: %v", err)
	}
	// A missing object is "no such file" to the reader.
	if r := runIn(t, dir, env, bins.baton, "-f", "s3://syncs/none.c1z", "resources"); r.code != 3 {
		t.Fatalf("a missing object: exit %d %s", r.code, r.stderr)
	}
}

// An id an operation looks up in the sync file and does not find exits 8
// (as baton does) naming the closest ids the file holds; a mistyped flag
// names the flag meant.
func TestUnknownIDsAndFlagsSuggest(t *testing.T) {
	dir := t.TempDir()
	ok(t, runIn(t, dir, nil, bins.sqlapp))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--provisioning", "--grant-entitlement", "role:admin:asigned", "--grant-principal", "u2", "--grant-principal-type", "user"},
			runner.ExitUnknown, `no entitlement "role:admin:asigned"; did you mean "role:admin:assigned"`},
		{[]string{"--provisioning", "--grant-entitlement", "role:admin:assigned", "--grant-principal", "u99", "--grant-principal-type", "user"},
			runner.ExitUnknown, `no user "u99"; did you mean "u1"`},
		{[]string{"--provisioning", "--grant-entitlement", "role:admin:assigned", "--grant-principal", "u2", "--grant-principal-type", "usr"},
			runner.ExitUnknown, `no resource type "usr"; did you mean "user"`},
		{[]string{"--provisioning", "--revoke-grant", "role:admin:assigned:user:u9"},
			runner.ExitUnknown, `no grant "role:admin:assigned:user:u9"; did you mean`},
		{[]string{"--provisioning", "--grant-entitlment", "x"}, runner.ExitUsage, "did you mean --grant-entitlement?"},
		{[]string{"--fiel", "x.c1z"}, runner.ExitUsage, "did you mean --file?"},
	} {
		r := runIn(t, dir, nil, bins.sqlapp, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, %s; want %d and %q", tc.args, r.code, r.stderr, tc.code, tc.want)
		}
	}
	if r := ok(t, runIn(t, dir, nil, bins.sqlapp, "--help")); !strings.Contains(r.stdout, "8 an id given to an operation is not in the sync file") {
		t.Errorf("--help does not list exit 8:\n%s", r.stdout)
	}
}
