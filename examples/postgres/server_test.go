package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/batonkit/batonkit/internal/pgtest"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/connector"
)

// The server is internal/pgtest's.
func startPostgres(t testing.TB) string { return pgtest.Start(t) }

// run executes SQL statements on dsn, one by one.
func run(t testing.TB, dsn string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	testkit.Must(t, err)
	defer conn.Close(ctx)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func dbDSN(dsn, db string) string {
	cfg, _ := pgx.ParseConfig(dsn)
	return fmt.Sprintf("postgres://postgres@%s:%d/%s?sslmode=disable", cfg.Host, cfg.Port, db)
}

type annotationsList = []*anypb.Any

func containsType(annos []*anypb.Any, name string) bool {
	for _, a := range annos {
		if strings.HasSuffix(a.GetTypeUrl(), "."+name) {
			return true
		}
	}
	return false
}

// loginAs connects as role with password over loopback (password auth).
func loginAs(t *testing.T, dsn, role, password string) {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	testkit.Must(t, err)
	cfg.User, cfg.Password = role, password
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("log in as %q: %v", role, err)
	}
	conn.Close(context.Background())
}

// ageKey receives the secrets CreateAccount and RotateCredential return.
var ageKey, _ = age.GenerateX25519Identity()

var ageConfig = &connectorv2.EncryptionConfig{Provider: connector.ProviderAge, KeyId: "test",
	Config: &connectorv2.EncryptionConfig_AgeRecipientConfig_{AgeRecipientConfig: &connectorv2.EncryptionConfig_AgeRecipientConfig{Recipient: ageKey.Recipient().String()}}}

func decrypt(t *testing.T, data []*connectorv2.EncryptedData) string {
	t.Helper()
	if len(data) != 1 {
		t.Fatalf("%d secrets, want the password", len(data))
	}
	r, err := age.Decrypt(bytes.NewReader(data[0].GetEncryptedBytes()), ageKey)
	testkit.Must(t, err)
	b, err := io.ReadAll(r)
	testkit.Must(t, err)
	return string(b)
}
