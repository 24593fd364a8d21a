package subprocess_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/batonkit/batonkit/internal/testconnector"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	ratelimitv1 "github.com/batonkit/batonkit/pb/c1/ratelimit/v1"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/subprocess"
)

// The test binary doubles as the processes under test (the helper-process
// pattern): with BATONKIT_HELPER set, TestHelper becomes a connector child
// ("child") or a parent that starts one and waits ("parent").
func TestHelper(t *testing.T) {
	switch os.Getenv("BATONKIT_HELPER") {
	case "child":
		srv, err := connector.NewServer(context.Background(), testconnector.New(5, 2, 0))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		err = subprocess.Serve(context.Background(), os.Stdin, slog.New(slog.DiscardHandler), func(env subprocess.Env) *grpc.Server {
			return connector.NewGRPCServer(srv, env.Options...)
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	case "parent":
		p, err := startChild(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, "parent:", err)
			os.Exit(1)
		}
		fmt.Printf("child %d\n", p.Pid())
		time.Sleep(time.Hour) // until killed
	}
}

func startChild(ctx context.Context) (*subprocess.Process, error) {
	return startChildWith(ctx, subprocess.Options{})
}

func startChildWith(ctx context.Context, o subprocess.Options) (*subprocess.Process, error) {
	o.Env, o.ReadyTimeout = []string{"BATONKIT_HELPER=child"}, 20*time.Second
	return subprocess.Start(ctx, os.Args[0], []string{"-test.run=^TestHelper$"}, o)
}

func TestFixedRateLimiterSpacesCalls(t *testing.T) {
	p, err := startChildWith(t.Context(), subprocess.Options{RateLimiter: &ratelimitv1.RateLimiterConfig{
		Type: &ratelimitv1.RateLimiterConfig_FixedMem{FixedMem: &ratelimitv1.FixedMemoryLimiter{Rate: 20, Period: durationpb.New(time.Second)}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	for i := 0; i < 8; i++ {
		if _, err := p.Client.ListResourceTypes(t.Context(), &connectorv2.ResourceTypesServiceListResourceTypesRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	// 20 per second: 8 calls (after the start-up probe) need at least 350ms.
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("8 calls took %v; the child ignored the 20/s limit", d)
	}
}

func TestChildServesEveryServiceOverMTLS(t *testing.T) {
	p, err := startChild(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	resp, err := p.Client.ListResources(t.Context(), &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "user"})
	if err != nil || len(resp.GetList()) == 0 {
		t.Fatalf("ListResources through the child: %v %v", resp, err)
	}
	if _, err := p.Client.ListTicketSchemas(t.Context(), &connectorv2.TicketsServiceListTicketSchemasRequest{}); err != nil {
		t.Fatalf("ticket service through the child: %v", err)
	}
	pid := p.Pid()
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if alive(pid) {
		t.Fatalf("child %d still running after Close", pid)
	}
}

func TestClientWithoutTheRightCertificateIsRefused(t *testing.T) {
	p, err := startChild(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	otherClient, _, err := subprocess.NewCredentials() // a different CA
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := subprocess.ClientTLS(otherClient)
	if err != nil {
		t.Fatal(err)
	}
	foreignCA := foreign.Clone()
	// Trust the child (so only the client side is wrong): skip server checks.
	foreignCA.InsecureSkipVerify = true
	noCert := &tls.Config{InsecureSkipVerify: true}
	for name, opt := range map[string]grpc.DialOption{
		"plaintext":          grpc.WithTransportCredentials(insecure.NewCredentials()),
		"TLS without a cert": grpc.WithTransportCredentials(credentials.NewTLS(noCert)),
		"cert of another CA": grpc.WithTransportCredentials(credentials.NewTLS(foreignCA)),
	} {
		conn, err := grpc.NewClient(p.Addr(), opt)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		_, err = contract.NewClient(conn).GetMetadata(ctx, &connectorv2.ConnectorServiceGetMetadataRequest{})
		cancel()
		conn.Close()
		if err == nil {
			t.Errorf("%s: the child answered; it must refuse", name)
		}
	}
	// The real client still works.
	if _, err := p.Client.GetMetadata(t.Context(), &connectorv2.ConnectorServiceGetMetadataRequest{}); err != nil {
		t.Fatalf("the parent's own client: %v", err)
	}
}

func TestKilledParentLeavesNoOrphan(t *testing.T) {
	parent := exec.Command(os.Args[0], "-test.run=^TestHelper$")
	parent.Env = append(os.Environ(), "BATONKIT_HELPER=parent")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	parent.Stderr = os.Stderr
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		parent.Process.Kill()
		t.Fatalf("parent did not report its child: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "child ")))
	if err != nil {
		t.Fatal(err)
	}
	if !alive(pid) {
		t.Fatalf("child %d is not running", pid)
	}
	if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	parent.Wait()
	deadline := time.Now().Add(time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d outlived its killed parent by more than a second", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	// The state is the field after the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// A connection that never starts its TLS handshake is closed by the child
// within seconds, not after gRPC's default two minutes.
func TestSilentConnectionIsDropped(t *testing.T) {
	p, err := startChild(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	conn, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err = conn.Read(make([]byte, 1))
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("the silent connection stayed open %v (read err %v)", time.Since(start), err)
	}
}

// BenchmarkLinkCall measures one call over the real child link: a
// helper-process connector behind Baton's handshake and mutual TLS.
func BenchmarkLinkCall(b *testing.B) {
	p, err := startChild(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	req := &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "user"}
	for b.Loop() {
		if _, err := p.Client.ListResources(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// Messages larger than the link's flow-control window cross it both ways:
// the windows are fixed (no probing), so a 3 MiB request and its echo
// need several window updates each.
func TestMessagesLargerThanTheWindowCrossTheLink(t *testing.T) {
	p, err := startChild(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sc, err := p.Client.GetTicketSchema(t.Context(), &connectorv2.TicketsServiceGetTicketSchemaRequest{Id: "it"})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("access to the prod database, please; ", 3<<20/37)
	tk, err := p.Client.CreateTicket(t.Context(), &connectorv2.TicketsServiceCreateTicketRequest{
		Request: &connectorv2.TicketRequest{DisplayName: "Access to prod", Description: long}, Schema: sc.GetSchema()})
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.GetTicket().GetDescription(); got != long {
		t.Fatalf("the ticket came back with a %d-byte description, want %d bytes", len(got), len(long))
	}
}
