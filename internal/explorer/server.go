package explorer

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/fleet"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Config says what to serve and to whom.
type Config struct {
	// Path is the sync file; or Fleet, many apps' files, opened by the
	// caller (which closes it after the server).
	Path  string
	Fleet *fleet.Fleet
	// Open opens Path to read it; nil uses c1z.OpenReader.
	Open func(ctx context.Context, path string) (*c1z.Reader, error)
	// Token is the secret every request must carry; empty makes a random
	// one (Server.Token).
	Token string
	// AllowRemote answers clients and Host names that are not loopback.
	// Only for a server behind something else that authenticates.
	AllowRemote bool
	Logger      *slog.Logger
}

// Server is the explorer's http.Handler.
//
// A browser keeps cookies per host, not per port, so a page of any other
// local server would receive a cookie scoped to "/". Each run therefore
// serves below a path of its own (Prefix) and names its cookie after it;
// the cookie holds a session secret of this process (not the URL's
// token), and counts only on requests the browser says come from the
// explorer itself (Sec-Fetch-Site, Origin). Scripts send the token as a
// bearer header.
type Server struct {
	cfg     Config
	token   string
	prefix  string                        // "/<run id>/": every page lives below it
	cookie  string                        // the session cookie's name, with the run id
	session string                        // the cookie's value
	pages   map[string]*template.Template // by page, each with the layout
	mux     *http.ServeMux
	log     *slog.Logger

	mu     sync.RWMutex // held for reading while a request uses st
	st     *c1z.Reader
	stamp  fileStamp // of the file st was opened from
	openMu sync.Mutex
}

// New prepares a server; the file is opened on the first request.
func New(cfg Config) (*Server, error) {
	if cfg.Path == "" && cfg.Fleet == nil {
		return nil, errors.New("explorer: no sync file")
	}
	if cfg.Open == nil {
		cfg.Open = func(ctx context.Context, path string) (*c1z.Reader, error) {
			return c1z.OpenReader(ctx, path)
		}
	}
	s := &Server{cfg: cfg, token: cfg.Token, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.token == "" {
		s.token = randomHex(16)
	}
	run := randomHex(8)
	s.prefix, s.cookie, s.session = "/"+run+"/", "baton_explorer_"+run, randomHex(16)
	s.pages = map[string]*template.Template{}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		page := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if page == "layout" {
			continue
		}
		t, err := template.New(page).Funcs(funcs).ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("explorer: template %s: %w", page, err)
		}
		s.pages[page] = t
	}
	s.routes()
	return s, nil
}

// Token is the secret to put in the first URL (?token=).
func (s *Server) Token() string { return s.token }

// Prefix is the path every page of this run lives below ("/<id>/").
func (s *Server) Prefix() string { return s.prefix }

// URL is the address to print for a listener at hostport: the run's
// path, with the token that the first request trades for a cookie.
func (s *Server) URL(hostport string) string {
	return "http://" + hostport + s.prefix + "?token=" + s.token
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b)
}

// Close closes the open sync file.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st == nil {
		return nil
	}
	err := s.st.Close(ctx)
	s.st = nil
	return err
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Pages carry no script and load nothing from elsewhere; say so, so a
	// name in the data that slipped past escaping still could not run.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if !s.cfg.AllowRemote && (!loopbackAddr(r.RemoteAddr) || !loopbackHost(r.Host)) {
		s.log.Warn("explorer: refused a request", "remote", r.RemoteAddr, "host", r.Host)
		s.fail(w, r, &httpError{http.StatusForbidden, "this explorer answers only loopback clients at a loopback address (127.0.0.1, ::1, localhost)"})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.fail(w, r, &httpError{http.StatusMethodNotAllowed, "the explorer is read-only"})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, s.prefix)
	if !ok {
		// Not this run's path: say nothing of what is here.
		http.Error(w, "not found: open the URL baton explorer printed", http.StatusNotFound)
		return
	}
	// Below here the handlers see paths as if the explorer were at "/".
	r2 := *r
	u := *r.URL
	u.Path, u.RawPath = "/"+rest, ""
	r2.URL = &u
	r = &r2
	if strings.HasPrefix(r.URL.Path, "/static/") {
		s.mux.ServeHTTP(w, r) // the stylesheet: no data in it
		return
	}
	if t := r.URL.Query().Get("token"); t != "" {
		if !s.tokenOK(t) {
			s.fail(w, r, &httpError{http.StatusUnauthorized, "wrong token: use the URL baton explorer printed"})
			return
		}
		http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: s.session, Path: s.prefix, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		// Drop the token from the address bar and the history. The
		// target is built from this run's prefix, so it stays here
		// whatever the path held ("//elsewhere" included).
		q := r.URL.Query()
		q.Del("token")
		target := s.prefix + strings.TrimLeft(r.URL.Path, "/")
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	if err := s.authorize(r); err != nil {
		s.fail(w, r, err)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) tokenOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) == 1
}

// authorize accepts the bearer token, or the session cookie on a request
// the browser made from the explorer's own pages or the address bar.
func (s *Server) authorize(r *http.Request) *httpError {
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if s.tokenOK(auth) {
			return nil
		}
		return &httpError{http.StatusUnauthorized, "wrong bearer token"}
	}
	c, err := r.Cookie(s.cookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.session)) != 1 {
		return &httpError{http.StatusUnauthorized, "no token: open the URL baton explorer printed (it carries ?token=), or send Authorization: Bearer <token>"}
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none": // the explorer's own pages; the address bar or a bookmark
	default: // another site or port, or a script replaying the cookie
		return &httpError{http.StatusForbidden, "the session cookie counts only in the explorer's own pages; scripts send Authorization: Bearer <token>"}
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		return &httpError{http.StatusForbidden, "a request from another origin"}
	}
	return nil
}

func loopbackAddr(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.Trim(host, "[]")
	return strings.EqualFold(host, "localhost") || loopbackAddr(host)
}

// fileStamp tells a changed file from the one that is open.
type fileStamp struct {
	size int64
	mod  time.Time
}

// store returns the open file, reopening it when it changed on disk since,
// and a release to call when the request is done with it.
func (s *Server) store(ctx context.Context) (*c1z.Reader, func(), error) {
	fi, statErr := os.Stat(s.cfg.Path)
	s.mu.RLock()
	if s.st != nil && statErr == nil && s.stamp == (fileStamp{fi.Size(), fi.ModTime()}) {
		return s.st, s.mu.RUnlock, nil
	}
	s.mu.RUnlock()
	if statErr != nil {
		if errors.Is(statErr, fs.ErrNotExist) {
			return nil, nil, &httpError{http.StatusInternalServerError, fmt.Sprintf("%s does not exist (the explorer keeps running: put a sync file there and reload)", s.cfg.Path)}
		}
		return nil, nil, statErr
	}
	s.openMu.Lock()
	defer s.openMu.Unlock()
	s.mu.RLock()
	if s.st != nil && s.stamp == (fileStamp{fi.Size(), fi.ModTime()}) {
		return s.st, s.mu.RUnlock, nil // another request reopened it meanwhile
	}
	s.mu.RUnlock()
	st, err := s.cfg.Open(ctx, s.cfg.Path)
	if err != nil {
		return nil, nil, &httpError{http.StatusInternalServerError, fmt.Sprintf("cannot read %s: %v (the explorer keeps running: replace or repair the file and reload)", s.cfg.Path, err)}
	}
	s.mu.Lock()
	old := s.st
	s.st, s.stamp = st, fileStamp{fi.Size(), fi.ModTime()}
	s.mu.Unlock()
	if old != nil {
		if err := old.Close(ctx); err != nil {
			s.log.Warn("explorer: closing the previous file", "err", err)
		}
	}
	s.log.Info("explorer: opened", "path", s.cfg.Path)
	s.mu.RLock()
	return s.st, s.mu.RUnlock, nil
}
