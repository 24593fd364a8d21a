package httpapp

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// App is the small web application the connector is for: users, teams of
// users, and projects whose roles (viewer, editor, admin) are given to
// users or to whole teams. Its JSON API pages by page number, two items a
// page, and wants a bearer token. It keeps its data in memory.
type App struct {
	token string

	mu       sync.Mutex
	users    []User
	teams    []Team
	projects []Project
}

// User is an account of the app.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Team is a group of users.
type Team struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Members []string `json:"-"`
}

// Project has roles given to users and teams.
type Project struct {
	ID    string       `json:"id"`
	Name  string       `json:"name"`
	Roles []Assignment `json:"-"`
}

// Assignment gives a role on a project to a user or a team.
type Assignment struct {
	Role          string `json:"role"`
	PrincipalType string `json:"principal_type"` // "user" or "team"
	PrincipalID   string `json:"principal_id"`
}

// Roles a project has.
var Roles = []string{"viewer", "editor", "admin"}

const perPage = 2

// NewApp returns the app with its sample data, answering requests that
// carry token.
func NewApp(token string) *App {
	return &App{
		token: token,
		users: []User{{"u1", "Ada Lovelace", "ada@example.com"}, {"u2", "Grace Hopper", "grace@example.com"},
			{"u3", "Alan Turing", "alan@example.com"}, {"u4", "Edsger Dijkstra", "edsger@example.com"}, {"u5", "Frances Allen", "fran@example.com"}},
		teams: []Team{{ID: "t1", Name: "Platform", Members: []string{"u1", "u2", "u3"}}, {ID: "t2", Name: "Data", Members: []string{"u4"}},
			{ID: "t3", Name: "Security", Members: []string{"u2", "u5"}}},
		projects: []Project{
			{ID: "p1", Name: "Website", Roles: []Assignment{{"editor", "team", "t1"}, {"admin", "user", "u1"}, {"viewer", "user", "u4"}}},
			{ID: "p2", Name: "Billing", Roles: []Assignment{{"editor", "user", "u2"}, {"editor", "team", "t3"}, {"viewer", "team", "t2"}}},
			{ID: "p3", Name: "Archive", Roles: nil},
		},
	}
}

// ServeHTTP serves the API under /api/.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+a.token {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/api"), "/"), "/")
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "users":
		writePage(w, "users", a.users, page)
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "teams":
		writePage(w, "teams", a.teams, page)
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "projects":
		writePage(w, "projects", a.projects, page)
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "teams" && parts[2] == "members":
		i := slices.IndexFunc(a.teams, func(t Team) bool { return t.ID == parts[1] })
		if i < 0 {
			http.Error(w, `{"error":"no such team"}`, http.StatusNotFound)
			return
		}
		writePage(w, "members", a.teams[i].Members, page)
	case len(parts) >= 3 && parts[0] == "projects" && parts[2] == "roles":
		i := slices.IndexFunc(a.projects, func(p Project) bool { return p.ID == parts[1] })
		if i < 0 {
			http.Error(w, `{"error":"no such project"}`, http.StatusNotFound)
			return
		}
		a.roles(w, r, &a.projects[i], parts[3:], page)
	default:
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
	}
}

// roles serves GET /api/projects/{id}/roles and
// PUT|DELETE /api/projects/{id}/roles/{role}/{type}/{id}.
func (a *App) roles(w http.ResponseWriter, r *http.Request, p *Project, rest []string, page int) {
	if r.Method == http.MethodGet && len(rest) == 0 {
		writePage(w, "assignments", p.Roles, page)
		return
	}
	if len(rest) != 3 || !slices.Contains(Roles, rest[0]) || (rest[1] != "user" && rest[1] != "team") {
		http.Error(w, `{"error":"want /roles/{viewer|editor|admin}/{user|team}/{id}"}`, http.StatusBadRequest)
		return
	}
	as := Assignment{rest[0], rest[1], rest[2]}
	i := slices.Index(p.Roles, as)
	switch r.Method {
	case http.MethodPut:
		if i >= 0 {
			http.Error(w, `{"error":"already assigned"}`, http.StatusConflict)
			return
		}
		p.Roles = append(p.Roles, as)
		w.WriteHeader(http.StatusCreated)
	case http.MethodDelete:
		if i < 0 {
			http.Error(w, `{"error":"no such assignment"}`, http.StatusNotFound)
			return
		}
		p.Roles = slices.Delete(p.Roles, i, i+1)
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, `{"error":"method not allowed"}`, http.StatusMethodNotAllowed)
	}
}

func writePage[T any](w http.ResponseWriter, key string, all []T, page int) {
	start := min((page-1)*perPage, len(all))
	end := min(start+perPage, len(all))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{key: all[start:end], "has_more": end < len(all)})
}
