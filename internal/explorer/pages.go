package explorer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// httpError is a failure with the status to answer it with; its message
// is shown on the error page (escaped) and in the API's {"error": ...}.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func notFound(format string, args ...any) error {
	return &httpError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// request is what a page handler reads: the open file, the sync asked for
// (?sync=, else the file's default) and the query.
type request struct {
	ctx  context.Context
	st   *c1z.Reader
	run  c1z.SyncRun
	q    url.Values
	sync string // the ?sync= given, carried on links
	file string
}

// page computes one page's view model; the same value renders the HTML
// page and answers the /api twin.
type page struct {
	title string
	tmpl  string
	view  func(r *request) (any, error)
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	if s.cfg.Fleet != nil {
		s.fleetRoutes()
		s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			s.fail(w, r, notFound("no page %s", r.URL.Path))
		})
		return
	}
	for path, p := range map[string]page{
		"/{$}":          {"Overview", "overview", overview},
		"/resources":    {"Resources", "resources", resources},
		"/resource":     {"Resource", "resource", resource},
		"/access":       {"Access", "access", access},
		"/entitlements": {"Entitlements", "entitlements", entitlements},
		"/entitlement":  {"Entitlement", "entitlement", entitlement},
		"/syncs":        {"Syncs", "syncs", syncs},
		"/diff":         {"Diff", "diff", diff},
	} {
		s.mux.HandleFunc("GET "+path, s.serve(p, false))
		s.mux.HandleFunc("GET /api"+path, s.serve(p, true))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, notFound("no page %s", r.URL.Path))
	})
}

func (s *Server) serve(p page, api bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, release, err := s.store(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		defer release()
		req := &request{ctx: r.Context(), st: st, q: r.URL.Query(), sync: r.URL.Query().Get("sync"), file: s.cfg.Path}
		if req.run, err = pickSync(req.ctx, st, req.sync); err != nil {
			s.fail(w, r, err)
			return
		}
		v, err := p.view(req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if api {
			writeJSON(w, http.StatusOK, v)
			return
		}
		s.render(w, http.StatusOK, p.tmpl, frame{Title: p.title, File: s.cfg.Path, Sync: req.sync, SyncID: req.run.ID, V: v})
	}
}

// frame is what every template gets: the page's view model in V.
type frame struct {
	Fleet  bool // many apps' files: the fleet pages' header
	Title  string
	File   string
	Sync   string // ?sync= to carry on links ("" for the default sync)
	SyncID string
	V      any
	Error  string
	Code   int
}

func (s *Server) render(w http.ResponseWriter, code int, name string, l frame) {
	var buf strings.Builder
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", l); err != nil {
		s.log.Error("explorer: render", "page", name, "err", err)
		http.Error(w, "the page could not be drawn: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(buf.String()))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail answers err as a page or, under /api, as {"error": "..."}.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	switch {
	case errors.As(err, &he):
	case errors.Is(err, c1z.ErrNotFound), errors.Is(err, c1z.ErrNoSync):
		he = &httpError{http.StatusNotFound, err.Error()}
	case errors.Is(err, c1z.ErrBadPageToken):
		he = &httpError{http.StatusBadRequest, err.Error()}
	case errors.Is(err, c1z.ErrCorrupt):
		he = &httpError{http.StatusInternalServerError, "the sync file is damaged: " + err.Error()}
	case errors.Is(err, context.Canceled):
		return // the browser went away
	default:
		he = &httpError{http.StatusInternalServerError, err.Error()}
	}
	if he.code >= 500 {
		s.log.Error("explorer: request failed", "path", r.URL.Path, "err", err)
	}
	if strings.HasPrefix(r.URL.Path, "/api/") || r.Header.Get("Accept") == "application/json" {
		writeJSON(w, he.code, map[string]any{"error": he.msg, "status": he.code})
		return
	}
	f := frame{Title: http.StatusText(he.code), File: s.cfg.Path, Error: he.msg, Code: he.code}
	if s.cfg.Fleet != nil {
		f.Fleet, f.File = true, s.fleetName()
	}
	s.render(w, he.code, "error", f)
}

func pickSync(ctx context.Context, st *c1z.Reader, id string) (c1z.SyncRun, error) {
	if id != "" {
		run, err := st.SyncRun(ctx, id)
		if errors.Is(err, c1z.ErrNotFound) || errors.Is(err, c1z.ErrNoSync) {
			return run, notFound("no sync %q in the file (see Syncs)", id)
		}
		return run, err
	}
	return st.DefaultSync(ctx)
}

func (r *request) need(key, what string) (string, error) {
	v := r.q.Get(key)
	if v == "" {
		return "", badRequest("%s: missing ?%s=", what, key)
	}
	return v, nil
}

// link builds an explorer URL: path, then key/value pairs, then the sync
// being looked at.
func link(sync, path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if sync != "" {
		q.Set("sync", sync)
	}
	// Relative ("./resources"): every page sits one level below the
	// run's prefix, so links stay under it without knowing it.
	path = "./" + strings.TrimPrefix(path, "/")
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

var funcs = template.FuncMap{
	"link":  link,
	"base":  filepath.Base,
	"clip":  clip,
	"name":  name,
	"add":   func(a, b int) int { return a + b },
	"nodeW": func() int { return nodeW },
	"nodeH": func() int { return nodeH },
	// dict hands the "ref" template a resource and the sync to link in.
	"dict": func(sync string, r any) map[string]any {
		if p, ok := r.(*Ref); ok {
			r = *p
		}
		return map[string]any{"Sync": sync, "R": r}
	},
}

func resourceID(typ, id string) *connectorv2.ResourceId {
	return &connectorv2.ResourceId{ResourceType: typ, Resource: id}
}
