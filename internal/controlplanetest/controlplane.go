// Package controlplanetest is a ConductorOne control plane for tests of
// service mode: BatonService and the token endpoint on one TLS port on
// loopback, checking every token, assertion and request it receives as
// the real service would, and recording what the connector did.
//
//	cp := controlplanetest.Start(t)
//	id := cp.Enqueue(&batonv1.Task{TaskType: &batonv1.Task_SyncFull{...}})
//	// run a worker with cp.ClientID, cp.ClientSecret, cp.Addr(), cp.TLS()
//	st := cp.Wait(t, id)
package controlplanetest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/segmentio/ksuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	"github.com/batonkit/batonkit/pkg/service"
)

// TenantHost is the tenant the test client belongs to: what its id names
// and what its assertions must be addressed to.
const TenantHost = "tenant.conductor.test"

// TaskState is what the control plane knows about one task.
type TaskState struct {
	Task       *batonv1.Task
	Offered    int // times handed out by GetTask(s)
	Heartbeats int
	Cancel     bool // the next heartbeat answers cancelled
	Cancelled  bool // a heartbeat told the client: the task is never offered again
	Finishes   []*batonv1.BatonServiceFinishTaskRequest
	Repeats    int      // finishes sent again after a lost answer
	Assets     [][]byte // complete uploads (checksum verified)
	Started    time.Time
	done       chan struct{}
}

// Finished reports whether the task was finished.
func (s *TaskState) Finished() bool { return len(s.Finishes) > 0 }

// Server is the test control plane.
type Server struct {
	ClientID     string
	ClientSecret string
	// NextPoll and NextHeartbeat are the hints it gives (default 20ms, 1s).
	NextPoll, NextHeartbeat time.Duration
	// TokenLifetime is how long its access tokens last (default 1h).
	TokenLifetime time.Duration
	// ReofferAfter is how long an offered task may go without a heartbeat
	// before it is offered again (default ten heartbeats).
	ReofferAfter time.Duration
	// NoGetTasks makes GetTasks answer Unimplemented, as an older control
	// plane does.
	NoGetTasks bool
	// OnUploadData, when set, is called (without the lock) after each data
	// chunk with the bytes received so far in that stream.
	OnUploadData func(taskID string, received int)

	t      testing.TB
	pub    ed25519.PublicKey
	cert   tls.Certificate
	pool   *x509.CertPool
	caFile string
	addr   string

	mu         sync.Mutex
	generation int // counts Stops: an upload begun before one is lost, as in a deploy
	order      []string
	tasks      map[string]*TaskState
	hellos     []*batonv1.BatonServiceHelloRequest
	tokens     map[string]time.Time
	nonces     map[string]bool
	violations []string
	refusals   int
	hostID     string
	srv        *http.Server
	grpc       *grpc.Server
}

// Start serves a control plane on loopback until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := service.NewSecret(priv)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{ClientID: "test-connector@" + TenantHost + "/pcc", ClientSecret: secret, pub: priv.Public().(ed25519.PublicKey),
		NextPoll: 20 * time.Millisecond, NextHeartbeat: time.Second, TokenLifetime: time.Hour,
		t: t, tasks: map[string]*TaskState{}, tokens: map[string]time.Time{}, nonces: map[string]bool{}}
	s.cert, s.pool, s.caFile = selfSigned(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	s.serve(l)
	t.Cleanup(s.Stop)
	return s
}

// Addr is host:port of the API and the token endpoint.
func (s *Server) Addr() string { return s.addr }

// TLS trusts the control plane's certificate.
func (s *Server) TLS() *tls.Config { return &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12} }

// CAFile is the PEM file of the certificate's authority, for processes.
func (s *Server) CAFile() string { return s.caFile }

// Stop drops every connection and stops serving (the state stays).
func (s *Server) Stop() {
	s.mu.Lock()
	srv, g := s.srv, s.grpc
	s.srv, s.grpc = nil, nil
	s.generation++
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
		g.Stop()
	}
}

// Restart stops serving, waits for down, and serves again on the same
// address with the same state: a control plane deploy.
func (s *Server) Restart(down time.Duration) {
	s.Stop()
	time.Sleep(down)
	var l net.Listener
	var err error
	for range 50 { // the port may linger a moment
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.fail("restart on %s: %v", s.addr, err)
		return
	}
	s.serve(l)
}

func (s *Server) serve(l net.Listener) {
	g := grpc.NewServer(grpc.ChainUnaryInterceptor(s.checkUnary), grpc.ChainStreamInterceptor(s.checkStream))
	batonv1.RegisterBatonServiceServer(g, &api{s: s})
	mux := http.NewServeMux()
	mux.HandleFunc("/auth/v1/token", s.token)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
				g.ServeHTTP(w, r)
				return
			}
			mux.ServeHTTP(w, r)
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{s.cert}, NextProtos: []string{"h2", "http/1.1"}},
		ReadHeaderTimeout: 5 * time.Second,
	}
	s.mu.Lock()
	s.srv, s.grpc = srv, g
	s.mu.Unlock()
	go srv.ServeTLS(l, "", "")
}

// Enqueue adds tasks (each given a fresh id when it has none) and returns
// their ids.
func (s *Server) Enqueue(tasks ...*batonv1.Task) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, t := range tasks {
		if t.Id == "" {
			t.Id = ksuid.New().String()
		}
		s.tasks[t.Id] = &TaskState{Task: t, done: make(chan struct{})}
		s.order = append(s.order, t.Id)
		ids = append(ids, t.Id)
	}
	return ids
}

// Cancel makes the task's next heartbeat answer cancelled.
func (s *Server) Cancel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks[id].Cancel = true
}

// State is a copy of what is known about a task.
func (s *Server) State(id string) TaskState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.tasks[id]
}

// Wait waits (up to two minutes) until the task is finished.
func (s *Server) Wait(t testing.TB, id string) TaskState {
	t.Helper()
	s.mu.Lock()
	done := s.tasks[id].done
	s.mu.Unlock()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("task %s (%s) did not finish: %+v", id, service.TaskType(s.State(id).Task), s.State(id))
	}
	return s.State(id)
}

// WaitFor waits until cond holds for the task's state.
func (s *Server) WaitFor(t testing.TB, id string, what string, cond func(TaskState) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if cond(s.State(id)) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("task %s: %s did not happen", id, what)
}

// Hellos are the hello requests received.
func (s *Server) Hellos() []*batonv1.BatonServiceHelloRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hellos)
}

// Refusals counts token requests refused for bad credentials.
func (s *Server) Refusals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusals
}

// Violations are the protocol errors seen: what the real service would
// reject and a correct client never sends.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

// CheckClean fails the test when there were violations.
func (s *Server) CheckClean(t testing.TB) {
	t.Helper()
	for _, v := range s.Violations() {
		t.Error("control plane:", v)
	}
}

func (s *Server) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// token is the client-credentials endpoint: a client assertion signed
// with the client's key buys an access token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	refuse := func(violation bool, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		s.mu.Lock()
		if violation {
			s.violations = append(s.violations, "token request: "+msg)
		} else {
			s.refusals++
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": msg})
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		refuse(true, "want a form POST, got %s %q", r.Method, r.Header.Get("Content-Type"))
		return
	}
	if err := r.ParseForm(); err != nil {
		refuse(true, "form: %v", err)
		return
	}
	f := r.PostForm
	switch {
	case f.Get("grant_type") != "client_credentials":
		refuse(true, "grant_type %q", f.Get("grant_type"))
		return
	case f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
		refuse(true, "client_assertion_type %q", f.Get("client_assertion_type"))
		return
	case f.Get("client_id") != s.ClientID:
		refuse(false, "unknown client %q", f.Get("client_id"))
		return
	}
	tok, err := jwt.ParseSigned(f.Get("client_assertion"), []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		refuse(true, "assertion: %v", err)
		return
	}
	if len(tok.Headers) != 1 || tok.Headers[0].Nonce == "" {
		refuse(true, "assertion has no nonce")
		return
	}
	var claims jwt.Claims
	if err := tok.Claims(s.pub, &claims); err != nil {
		refuse(false, "assertion signature: %v", err)
		return
	}
	now := time.Now()
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: s.ClientID, Subject: s.ClientID, AnyAudience: jwt.Audience{TenantHost}, Time: now}, 0); err != nil {
		refuse(true, "assertion claims: %v", err)
		return
	}
	if claims.Expiry == nil || claims.Expiry.Time().After(now.Add(5*time.Minute)) || claims.IssuedAt == nil || claims.NotBefore == nil {
		refuse(true, "assertion must expire within 5 minutes and carry iat and nbf")
		return
	}
	s.mu.Lock()
	replayed := s.nonces[tok.Headers[0].Nonce]
	s.nonces[tok.Headers[0].Nonce] = true
	s.mu.Unlock()
	if replayed {
		refuse(true, "assertion nonce replayed")
		return
	}
	b := make([]byte, 24)
	rand.Read(b)
	access := hex.EncodeToString(b)
	s.mu.Lock()
	s.tokens[access] = now.Add(s.TokenLifetime)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": int(s.TokenLifetime.Seconds())})
}

// authorize checks the RPC's access token and user agent.
func (s *Server) authorize(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	auth := md.Get("authorization")
	if len(auth) != 1 || !strings.HasPrefix(auth[0], "Bearer ") {
		s.fail("RPC without a bearer token")
		return status.Error(codes.Unauthenticated, "no bearer token")
	}
	s.mu.Lock()
	exp, ok := s.tokens[strings.TrimPrefix(auth[0], "Bearer ")]
	s.mu.Unlock()
	if !ok || time.Now().After(exp) {
		s.fail("RPC with an unknown or expired token")
		return status.Error(codes.Unauthenticated, "invalid token")
	}
	if ua := md.Get("user-agent"); len(ua) == 0 || !strings.HasPrefix(ua[0], "test-connector ") {
		s.fail("user agent %q does not start with the client name", ua)
	}
	return nil
}

type validator interface{ ValidateAll() error }

func (s *Server) check(method string, req any) error {
	if v, ok := req.(validator); ok {
		if err := v.ValidateAll(); err != nil {
			s.fail("%s: invalid request: %v", method, err)
			return status.Error(codes.InvalidArgument, err.Error())
		}
	}
	if h, ok := req.(interface{ GetHostId() string }); ok && h.GetHostId() != "" {
		s.mu.Lock()
		if s.hostID == "" {
			s.hostID = h.GetHostId()
		} else if s.hostID != h.GetHostId() {
			s.violations = append(s.violations, fmt.Sprintf("%s: host id %q, earlier %q", method, h.GetHostId(), s.hostID))
		}
		s.mu.Unlock()
	}
	return nil
}

func (s *Server) checkUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := s.authorize(ctx); err != nil {
		return nil, err
	}
	if err := s.check(info.FullMethod, req); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (s *Server) checkStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := s.authorize(ss.Context()); err != nil {
		return err
	}
	return h(srv, &checkedStream{ServerStream: ss, s: s, method: info.FullMethod})
}

type checkedStream struct {
	grpc.ServerStream
	s      *Server
	method string
}

func (c *checkedStream) RecvMsg(m any) error {
	if err := c.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return c.s.check(c.method, m)
}

// api is BatonService over the server's state.
type api struct {
	batonv1.UnimplementedBatonServiceServer
	s *Server
}

func (a *api) Hello(_ context.Context, req *batonv1.BatonServiceHelloRequest) (*batonv1.BatonServiceHelloResponse, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hellos = append(s.hellos, req)
	if id := req.GetTaskId(); id != "" {
		st, ok := s.tasks[id]
		if !ok {
			return nil, status.Errorf(codes.NotFound, "no task %s", id)
		}
		// A hello task is answered by the hello itself.
		st.Finishes = append(st.Finishes, &batonv1.BatonServiceFinishTaskRequest{TaskId: id,
			FinalState: &batonv1.BatonServiceFinishTaskRequest_Success_{Success: &batonv1.BatonServiceFinishTaskRequest_Success{}}})
		if len(st.Finishes) == 1 {
			close(st.done)
		} else {
			s.violations = append(s.violations, "hello task answered twice: "+id)
		}
	}
	return &batonv1.BatonServiceHelloResponse{}, nil
}

// offer hands out up to n tasks not yet offered (or offered to a holder
// that no longer knows them and never finished them) and not in known.
func (s *Server) offer(n int, known []string) []*batonv1.Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*batonv1.Task
	for _, id := range s.order {
		if len(out) == n {
			break
		}
		st := s.tasks[id]
		if st.Finished() || st.Cancelled || slices.Contains(known, id) || st.Offered > 0 && time.Since(st.Started) < cmp.Or(s.ReofferAfter, 10*s.NextHeartbeat) {
			continue
		}
		st.Offered++
		st.Started = time.Now()
		out = append(out, proto.CloneOf(st.Task))
	}
	return out
}

func (a *api) GetTasks(_ context.Context, req *batonv1.BatonServiceGetTasksRequest) (*batonv1.BatonServiceGetTasksResponse, error) {
	if a.s.NoGetTasks {
		return nil, status.Error(codes.Unimplemented, "GetTasks is not offered")
	}
	return &batonv1.BatonServiceGetTasksResponse{Tasks: a.s.offer(int(req.GetPageSize()), req.GetKnownTaskIds()),
		NextPoll: durationpb.New(a.s.NextPoll), NextHeartbeat: durationpb.New(a.s.NextHeartbeat)}, nil
}

func (a *api) GetTask(context.Context, *batonv1.BatonServiceGetTaskRequest) (*batonv1.BatonServiceGetTaskResponse, error) {
	resp := &batonv1.BatonServiceGetTaskResponse{NextPoll: durationpb.New(a.s.NextPoll), NextHeartbeat: durationpb.New(a.s.NextHeartbeat)}
	if ts := a.s.offer(1, nil); len(ts) == 1 {
		resp.Task = ts[0]
	} else {
		resp.Task = &batonv1.Task{TaskType: &batonv1.Task_None{None: &batonv1.Task_NoneTask{}}}
	}
	return resp, nil
}

func (a *api) Heartbeat(_ context.Context, req *batonv1.BatonServiceHeartbeatRequest) (*batonv1.BatonServiceHeartbeatResponse, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.tasks[req.GetTaskId()]
	if !ok {
		s.violations = append(s.violations, "heartbeat for unknown task "+req.GetTaskId())
		return nil, status.Errorf(codes.NotFound, "no task %s", req.GetTaskId())
	}
	if st.Finished() {
		s.violations = append(s.violations, "heartbeat for finished task "+req.GetTaskId())
	}
	if st.Cancelled {
		s.violations = append(s.violations, "heartbeat for a task the control plane cancelled "+req.GetTaskId())
	}
	st.Heartbeats++
	st.Started = time.Now()
	// As the real service: once a heartbeat says cancelled, the task is
	// over for the control plane, offered to no one again.
	st.Cancelled = st.Cancel
	return &batonv1.BatonServiceHeartbeatResponse{NextHeartbeat: durationpb.New(s.NextHeartbeat), Cancelled: st.Cancel}, nil
}

func (a *api) FinishTask(_ context.Context, req *batonv1.BatonServiceFinishTaskRequest) (*batonv1.BatonServiceFinishTaskResponse, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.tasks[req.GetTaskId()]
	if !ok {
		s.violations = append(s.violations, "finish of unknown task "+req.GetTaskId())
		return nil, status.Errorf(codes.NotFound, "no task %s", req.GetTaskId())
	}
	if len(st.Finishes) > 0 {
		// A client whose answer was lost sends the same finish again; the
		// real service takes that as the one finish. A different one is a
		// second outcome for one task.
		st.Repeats++
		if !proto.Equal(st.Finishes[0], req) {
			s.violations = append(s.violations, "task finished twice, differently: "+req.GetTaskId())
		}
		return &batonv1.BatonServiceFinishTaskResponse{}, nil
	}
	st.Finishes = append(st.Finishes, req)
	close(st.done)
	if req.GetSuccess() != nil && st.Task.GetSyncFull() != nil && len(st.Assets) != 1 {
		s.violations = append(s.violations, fmt.Sprintf("sync task %s finished with %d assets", req.GetTaskId(), len(st.Assets)))
	}
	return &batonv1.BatonServiceFinishTaskResponse{}, nil
}

func (a *api) UploadAsset(stream grpc.ClientStreamingServer[batonv1.BatonServiceUploadAssetRequest, batonv1.BatonServiceUploadAssetResponse]) error {
	s := a.s
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	meta := first.GetMetadata()
	if meta == nil {
		s.fail("upload does not start with metadata")
		return status.Error(codes.InvalidArgument, "metadata first")
	}
	s.mu.Lock()
	st, ok := s.tasks[meta.GetTaskId()]
	gen := s.generation
	s.mu.Unlock()
	if !ok {
		s.fail("upload for unknown task %s", meta.GetTaskId())
		return status.Errorf(codes.NotFound, "no task %s", meta.GetTaskId())
	}
	var buf bytes.Buffer
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			s.fail("upload for %s ended without an EOF message", meta.GetTaskId())
			return status.Error(codes.InvalidArgument, "no EOF message")
		}
		if err != nil {
			return err // a broken stream: nothing is kept
		}
		switch {
		case m.GetData() != nil:
			buf.Write(m.GetData().GetData())
			if s.OnUploadData != nil {
				s.OnUploadData(meta.GetTaskId(), buf.Len())
			}
		case m.GetEof() != nil:
			sum := sha256.Sum256(buf.Bytes())
			if !bytes.Equal(sum[:], m.GetEof().GetSha256Checksum()) {
				s.fail("upload for %s: checksum mismatch", meta.GetTaskId())
				return status.Error(codes.DataLoss, "checksum mismatch")
			}
			s.mu.Lock()
			if s.generation != gen {
				// The server stopped while this stream was open; what the
				// transport still held is not an upload.
				s.mu.Unlock()
				return status.Error(codes.Unavailable, "the control plane restarted during the upload")
			}
			st.Assets = append(st.Assets, buf.Bytes())
			if len(st.Assets) > 1 {
				s.violations = append(s.violations, "second complete upload for "+meta.GetTaskId())
			}
			s.mu.Unlock()
			return stream.SendAndClose(&batonv1.BatonServiceUploadAssetResponse{})
		default:
			s.fail("upload for %s: a second metadata message", meta.GetTaskId())
			return status.Error(codes.InvalidArgument, "metadata twice")
		}
	}
}

func (a *api) StartDebugging(context.Context, *batonv1.StartDebuggingRequest) (*batonv1.StartDebuggingResponse, error) {
	return &batonv1.StartDebuggingResponse{Status: true}, nil
}

// SaveAsset writes a task's uploaded asset to a file in dir.
func SaveAsset(t testing.TB, st TaskState, dir string) string {
	t.Helper()
	if len(st.Assets) != 1 {
		t.Fatalf("task %s has %d assets, want 1", st.Task.GetId(), len(st.Assets))
	}
	path := filepath.Join(dir, st.Task.GetId()+".c1z")
	if err := os.WriteFile(path, st.Assets[0], 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// selfSigned makes a CA and a certificate for 127.0.0.1 and localhost.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "control plane test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, file
}
