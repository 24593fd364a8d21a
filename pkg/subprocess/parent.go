package subprocess

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	connectorwrapperv1 "github.com/batonkit/batonkit/pb/c1/connector_wrapper/v1"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	ratelimitv1 "github.com/batonkit/batonkit/pb/c1/ratelimit/v1"
	utlsv1 "github.com/batonkit/batonkit/pb/c1/utls/v1"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/session"
)

// Process is a connector running as a child of this process.
type Process struct {
	Client contract.Client

	cmd   *exec.Cmd
	addr  string
	stdin io.WriteCloser
	conn  *grpc.ClientConn
	// sessions serves the child's session store, when the parent offers one.
	sessions *grpc.Server
	done     chan struct{}
	waitMu   sync.Mutex
	err      error
}

// Options configure Start.
type Options struct {
	Stderr       io.Writer     // the child's stderr (default: this process's)
	Stdout       io.Writer     // the child's stdout (default: this process's stderr)
	ReadyTimeout time.Duration // how long the child may take to answer (default 30s)
	// CallTimeout bounds every call to the child (default
	// DefaultCallTimeout; a sooner deadline of the caller's wins): a
	// child that never answers fails its call, naming it, instead of
	// hanging the parent. Negative turns it off.
	CallTimeout time.Duration
	// PassEnv names variables of this process's environment the child
	// receives besides ChildEnv's (its own BATON_* settings, PATH, HOME,
	// locale, proxy and CA variables).
	PassEnv []string
	Env     []string // extra NAME=VALUE entries for the child
	Logger  *slog.Logger
	// RateLimiter is sent to the child; nil means disabled. A fixed
	// in-memory limiter makes the child space its calls.
	RateLimiter *ratelimitv1.RateLimiterConfig
	// Sessions, when set, is served to the child as its session store, on
	// a loopback port named in ServerConfig.session_store_listen_port, with
	// TLS under the child's own credential (the child dials it presenting
	// that credential), as Baton's parent does.
	Sessions batonv1.BatonSessionServiceServer
}

// Start runs path with args plus _connector-service, hands it a listener
// and credentials, and returns once it answers GetMetadata. Close stops it.
func Start(ctx context.Context, path string, args []string, opts Options) (*Process, error) {
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 30 * time.Second
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stderr
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	clientCred, serverCred, err := NewCredentials()
	if err != nil {
		return nil, err
	}
	clientTLS, err := ClientTLS(clientCred)
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	lf, err := lis.(*net.TCPListener).File()
	lis.Close() // the child serves the duplicated descriptor
	if err != nil {
		return nil, fmt.Errorf("listener file: %w", err)
	}
	port := lis.Addr().(*net.TCPAddr).Port

	rl := opts.RateLimiter
	if rl == nil {
		rl = &ratelimitv1.RateLimiterConfig{Type: &ratelimitv1.RateLimiterConfig_Disabled{Disabled: &ratelimitv1.DisabledLimiter{}}}
	}
	sc := &connectorwrapperv1.ServerConfig{Credential: serverCred, RateLimiterConfig: rl, ListenPort: uint32(port)}
	var sessions *grpc.Server
	if opts.Sessions != nil {
		var sport int
		if sessions, sport, err = serveSessions(opts.Sessions, serverCred); err != nil {
			return nil, err
		}
		sc.SessionStoreListenPort = uint32(sport)
		started := false
		defer func() {
			if !started {
				sessions.Stop()
			}
		}()
		defer func() { started = err == nil }()
	}
	cfg, err := proto.Marshal(sc)
	if err != nil {
		return nil, err
	}

	cmd := exec.Command(path, append(append([]string{}, args...), ServiceCommand)...)
	cmd.ExtraFiles = []*os.File{lf}
	cmd.Env = append(append(ChildEnv(nil, opts.PassEnv...), opts.Env...), ListenerFDEnv+"=3")
	cmd.Stdout, cmd.Stderr = opts.Stdout, opts.Stderr
	setParentDeathSignal(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	err = cmd.Start()
	// The child holds its own copy of the socket now; ours must go, or a
	// child that rebinds the port itself (grpc-js cannot serve a
	// descriptor) would find it taken.
	lf.Close()
	if err != nil {
		return nil, fmt.Errorf("start connector %s: %w", path, err)
	}
	p := &Process{cmd: cmd, stdin: stdin, done: make(chan struct{}), addr: "127.0.0.1:" + strconv.Itoa(port), sessions: sessions}
	go func() {
		err := cmd.Wait()
		p.waitMu.Lock()
		p.err = err
		p.waitMu.Unlock()
		close(p.done)
	}()
	if _, err := io.WriteString(stdin, base64.StdEncoding.EncodeToString(cfg)+"\n"); err != nil {
		p.Close()
		return nil, fmt.Errorf("send server config to connector: %w", err)
	}

	if opts.CallTimeout == 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	dial := append(linkDialOptions(), grpc.WithTransportCredentials(credentials.NewTLS(clientTLS)))
	if opts.CallTimeout > 0 {
		dial = append(dial, grpc.WithChainUnaryInterceptor(callDeadline(opts.CallTimeout)), grpc.WithChainStreamInterceptor(streamDeadline(opts.CallTimeout)))
	}
	p.conn, err = grpc.NewClient(p.addr, dial...)
	if err != nil {
		p.Close()
		return nil, err
	}
	p.Client = contract.NewClient(p.conn)
	if err := p.waitReady(ctx, opts.ReadyTimeout); err != nil {
		p.Close()
		return nil, err
	}
	opts.Logger.Debug("connector child ready", "path", path, "pid", cmd.Process.Pid, "port", port)
	return p, nil
}

// serveSessions serves srv on a loopback port for the child, requiring
// the child's certificate.
func serveSessions(srv batonv1.BatonSessionServiceServer, cred *utlsv1.Credential) (*grpc.Server, int, error) {
	tlsCfg, err := ServerTLS(cred)
	if err != nil {
		return nil, 0, fmt.Errorf("session store credential: %w", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, 0, fmt.Errorf("session store: listen on loopback: %w", err)
	}
	gs := grpc.NewServer(append(linkServerOptions(), grpc.Creds(credentials.NewTLS(tlsCfg)), grpc.ChainUnaryInterceptor(session.UnaryValidator))...)
	batonv1.RegisterBatonSessionServiceServer(gs, srv)
	go gs.Serve(lis)
	return gs, lis.Addr().(*net.TCPAddr).Port, nil
}

func (p *Process) waitReady(parent context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	for {
		callCtx, callCancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := p.Client.GetMetadata(callCtx, &connectorv2.ConnectorServiceGetMetadataRequest{}, grpc.WaitForReady(true))
		callCancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("connector exited before serving: %w", p.exitErr())
		case <-ctx.Done():
			if parent.Err() != nil { // the caller's deadline, not ours: say so
				return fmt.Errorf("connector did not answer: %w", context.Cause(parent))
			}
			return fmt.Errorf("connector did not answer within %s: %w", timeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (p *Process) exitErr() error {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	if p.err == nil {
		return errors.New("exit status 0")
	}
	return p.err
}

// Addr is the child's listening address.
func (p *Process) Addr() string { return p.addr }

// Pid is the child's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Close closes the connection and the child's stdin, which tells it to
// exit; a child still running after 5 seconds is killed.
func (p *Process) Close() error {
	if p.conn != nil {
		p.conn.Close()
	}
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	if p.sessions != nil {
		p.sessions.Stop()
	}
	var ee *exec.ExitError
	if err := p.exitErr(); err != nil && err.Error() != "exit status 0" && !errors.As(err, &ee) {
		return err
	}
	return nil
}
