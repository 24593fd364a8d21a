package runner_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"filippo.io/age"
	"google.golang.org/grpc/codes"

	"github.com/batonkit/batonkit/internal/controlplanetest"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/service"
)

// lockedBuffer is a process's stderr, read while it writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serviceEnv points a connector process at the test control plane, the
// secret in the environment as the docs say.
func serviceEnv(cp *controlplanetest.Server, secret string) []string {
	return append(cleanEnv(), "BATON_CLIENT_SECRET="+secret, "BATON_C1_API_HOST="+cp.Addr(), "BATON_C1_API_CA_FILE="+cp.CAFile())
}

// A connector binary started with --client-id takes every kind of task
// from the control plane, reports health, and stops cleanly on SIGTERM.
func TestServiceModeRunsEveryTaskType(t *testing.T) {
	cp := controlplanetest.Start(t)
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.Must(t, err)
	health := l.Addr().String()
	l.Close()
	cmd := exec.Command(bins.sqlapp, "--client-id", cp.ClientID, "--db", filepath.Join(dir, "app.db"), "--service-dir", filepath.Join(dir, "work"),
		"--health-addr", health, "--task-concurrency", "2", "--log-level", "debug", "--provisioning")
	cmd.Dir, cmd.Env = dir, serviceEnv(cp, cp.ClientSecret)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	testkit.Must(t, cmd.Start())
	defer cmd.Process.Kill()

	sync := cp.Wait(t, cp.Enqueue(&batonv1.Task{TaskType: &batonv1.Task_SyncFull{SyncFull: &batonv1.Task_SyncFullTask{}}})[0])
	if len(sync.Finishes) != 1 || sync.Finishes[0].GetSuccess() == nil {
		t.Fatalf("sync task: %v\n%s", sync.Finishes, stderr)
	}
	st, err := c1z.OpenReader(context.Background(), controlplanetest.SaveAsset(t, sync, dir))
	testkit.Must(t, err)
	defer st.Close(context.Background())
	run, err := st.DefaultSync(context.Background())
	testkit.Must(t, err)
	ent, err := st.Entitlement(context.Background(), run.ID, "group:finance:member")
	testkit.Must(t, err)
	user, err := st.Resource(context.Background(), run.ID, &connectorv2.ResourceId{ResourceType: "user", Resource: "u6"})
	testkit.Must(t, err)

	recipient, err := age.GenerateX25519Identity()
	testkit.Must(t, err)
	grant := cp.Wait(t, cp.Enqueue(&batonv1.Task{TaskType: &batonv1.Task_Grant{Grant: &batonv1.Task_GrantTask{Entitlement: ent, Principal: user}}})[0])
	var granted connectorv2.GrantManagerServiceGrantResponse
	if len(grant.Finishes) != 1 || grant.Finishes[0].GetSuccess().GetResponse().UnmarshalTo(&granted) != nil || len(granted.GetGrants()) != 1 {
		t.Fatalf("grant task: %v\n%s", grant.Finishes, stderr)
	}
	noPassword := &connectorv2.CredentialOptions{Options: &connectorv2.CredentialOptions_NoPassword_{NoPassword: &connectorv2.CredentialOptions_NoPassword{}}}
	ids := cp.Enqueue(
		&batonv1.Task{TaskType: &batonv1.Task_Revoke{Revoke: &batonv1.Task_RevokeTask{Grant: granted.GetGrants()[0]}}},
		&batonv1.Task{TaskType: &batonv1.Task_CreateAccount{CreateAccount: &batonv1.Task_CreateAccountTask{AccountInfo: &connectorv2.AccountInfo{Login: "alan"}, CredentialOptions: noPassword}}},
		&batonv1.Task{TaskType: &batonv1.Task_DeleteResource{DeleteResource: &batonv1.Task_DeleteResourceTask{ResourceId: &connectorv2.ResourceId{ResourceType: "user", Resource: "u5"}}}},
		&batonv1.Task{TaskType: &batonv1.Task_RotateCredentials{RotateCredentials: &batonv1.Task_RotateCredentialsTask{ResourceId: user.GetId(),
			CredentialOptions: &connectorv2.CredentialOptions{Options: &connectorv2.CredentialOptions_RandomPassword_{RandomPassword: &connectorv2.CredentialOptions_RandomPassword{Length: 20}}},
			EncryptionConfigs: []*connectorv2.EncryptionConfig{{Provider: connector.ProviderAge, KeyId: "c1",
				Config: &connectorv2.EncryptionConfig_AgeRecipientConfig_{AgeRecipientConfig: &connectorv2.EncryptionConfig_AgeRecipientConfig{Recipient: recipient.Recipient().String()}}}}}}},
		&batonv1.Task{TaskType: &batonv1.Task_Hello{Hello: &batonv1.Task_HelloTask{}}},
		&batonv1.Task{}, // a task type this contract does not know
	)
	for _, id := range ids[:5] {
		if st := cp.Wait(t, id); len(st.Finishes) != 1 || st.Finishes[0].GetSuccess() == nil {
			t.Errorf("%s task: %v", service.TaskType(st.Task), st.Finishes)
		}
	}
	if st := cp.Wait(t, ids[5]); codes.Code(st.Finishes[0].GetStatus().GetCode()) != codes.Unimplemented {
		t.Errorf("unknown task: %v", st.Finishes)
	}

	code, body := get(t, "http://"+health+"/readyz")
	if code != 200 || !strings.Contains(body, `"polling"`) {
		t.Errorf("/readyz: %d %s", code, body)
	}
	_, m := get(t, "http://"+health+"/metrics")
	for _, series := range []string{`baton_service_tasks_total{result="ok",type="sync_full"} 1`, `baton_service_tasks_total{result="error",type="unknown"} 1`, "baton_service_ready 1"} {
		if !strings.Contains(m, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}

	testkit.Must(t, cmd.Process.Signal(syscall.SIGTERM))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, stderr)
	}
	if strings.Contains(stderr.String(), cp.ClientSecret) || strings.Contains(stderr.String(), strings.SplitN(cp.ClientSecret, ":", 4)[3]) {
		t.Fatal("the client secret is in the log")
	}
	cp.CheckClean(t)
}

// Refused credentials stop the process with a message that says so; a
// missing secret is a usage error.
func TestServiceModeBadCredentials(t *testing.T) {
	cp := controlplanetest.Start(t)
	dir := t.TempDir()
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	wrong, err := service.NewSecret(other)
	testkit.Must(t, err)
	args := []string{"--client-id", cp.ClientID, "--db", filepath.Join(dir, "app.db"), "--service-dir", filepath.Join(dir, "work")}
	r := runIn(t, dir, serviceEnv(cp, wrong)[len(cleanEnv()):], bins.sqlapp, args...)
	if r.code != 1 || !strings.Contains(r.stderr, "refused the client credentials") || strings.Contains(r.stderr, wrong) {
		t.Fatalf("refused credentials: exit %d\n%s", r.code, r.stderr)
	}
	r = runIn(t, dir, []string{"BATON_C1_API_HOST=" + cp.Addr()}, bins.sqlapp, args...)
	if r.code != 2 || !strings.Contains(r.stderr, "BATON_CLIENT_SECRET") {
		t.Fatalf("no secret: exit %d\n%s", r.code, r.stderr)
	}
	r = runIn(t, dir, serviceEnv(cp, cp.ClientSecret)[len(cleanEnv()):], bins.sqlapp, "--client-id", "not-an-id", "--db", filepath.Join(dir, "app.db"))
	if r.code != 2 || !strings.Contains(r.stderr, "client id") {
		t.Fatalf("bad client id: exit %d\n%s", r.code, r.stderr)
	}
}
