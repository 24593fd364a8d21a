package subprocess_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	connectorwrapperv1 "github.com/batonkit/batonkit/pb/c1/connector_wrapper/v1"
	"github.com/batonkit/batonkit/pkg/subprocess"
)

// The ServerConfig line comes from whoever started the process: any bytes
// are an error or a config, never a panic, and its credential is checked
// the same way.
func FuzzServerConfigLine(f *testing.F) {
	_, server, err := subprocess.NewCredentials()
	if err != nil {
		f.Fatal(err)
	}
	b, _ := proto.Marshal(&connectorwrapperv1.ServerConfig{Credential: server, ListenPort: 4242})
	f.Add(base64.StdEncoding.EncodeToString(b) + "\n")
	f.Add("")
	f.Add("not base64\n")
	f.Add(base64.StdEncoding.EncodeToString([]byte{0xff, 0x01}) + "\n")
	f.Fuzz(func(t *testing.T, line string) {
		cfg, _, err := subprocess.ReadServerConfig(strings.NewReader(line))
		if err != nil {
			return
		}
		_, _ = subprocess.ServerTLS(cfg.GetCredential())
		_, _ = subprocess.ClientTLS(cfg.GetCredential())
	})
}

// A line past 64 KiB is refused without reading it all into memory.
func TestServerConfigLineIsBounded(t *testing.T) {
	_, _, err := subprocess.ReadServerConfig(strings.NewReader(strings.Repeat("A", 1<<20) + "\n"))
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("a 1 MiB line: err = %v, want a refusal", err)
	}
}

// A credential whose key is not the certificate's is refused.
func TestMismatchedKeyIsRefused(t *testing.T) {
	client, server, err := subprocess.NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	server.Key = client.Key
	if _, err := subprocess.ServerTLS(server); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("err = %v, want a key mismatch", err)
	}
}
