package explorer

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/batonkit/batonkit/pkg/fleet"
)

// Fleet pages: with Config.Fleet the explorer shows many apps' files as
// people (a people page, a person's accounts and what each holds in every
// app, the orphans an IdP reveals), each with its /api twin.

// fleetPage is one fleet page: its view model comes from the fleet.
type fleetPage struct {
	title string
	tmpl  string
	view  func(f *fleet.Fleet, q url.Values) (any, error)
}

func (s *Server) fleetRoutes() {
	for path, p := range map[string]fleetPage{
		"/{$}":     {"People", "people", people},
		"/people":  {"People", "people", people},
		"/person":  {"Person", "person", person},
		"/orphans": {"Orphans", "orphans", orphans},
	} {
		s.mux.HandleFunc("GET "+path, s.serveFleet(p, false))
		s.mux.HandleFunc("GET /api"+path, s.serveFleet(p, true))
	}
}

func (s *Server) serveFleet(p fleetPage, api bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := p.view(s.cfg.Fleet, r.URL.Query())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if api {
			writeJSON(w, http.StatusOK, v)
			return
		}
		s.render(w, http.StatusOK, p.tmpl, frame{Title: p.title, File: s.fleetName(), Fleet: true, V: v})
	}
}

func (s *Server) fleetName() string {
	f := s.cfg.Fleet
	name := "a fleet of " + strconv.Itoa(len(f.Apps)) + " apps"
	if f.IdP != nil {
		name += ", IdP " + f.IdP.Name
	}
	return name
}

// PersonRow is one person on the people page.
type PersonRow struct {
	Key      string   `json:"key"`
	Query    string   `json:"query"` // what names them in /person?q=
	Name     string   `json:"name"`
	Left     bool     `json:"left,omitempty"`
	Enabled  []string `json:"enabledIn"`
	Disabled []string `json:"disabledIn"`
	Grants   int      `json:"grants"`
}

// PeopleView is the people page.
type PeopleView struct {
	Items []PersonRow `json:"items"`
}

func people(f *fleet.Fleet, _ url.Values) (any, error) {
	v := PeopleView{Items: []PersonRow{}}
	for _, p := range f.People() {
		r := PersonRow{Key: p.Key, Query: query(p), Name: p.Name, Left: p.Left(), Enabled: []string{}, Disabled: []string{}}
		for _, a := range p.Accounts {
			if a.Enabled() {
				r.Enabled = append(r.Enabled, a.App.Name)
			} else {
				r.Disabled = append(r.Disabled, a.App.Name)
			}
			r.Grants += len(a.Holdings)
		}
		v.Items = append(v.Items, r)
	}
	return v, nil
}

// query is the value of a person's key: an email or login names them.
func query(p *fleet.Person) string {
	_, v, _ := strings.Cut(p.Key, ":")
	return v
}

// HoldingRow is one entitlement an account holds, and how.
type HoldingRow struct {
	Entitlement string `json:"entitlement"`
	Name        string `json:"name"`
	Via         Via    `json:"via"`
}

// AccountView is one of a person's accounts.
type AccountView struct {
	App      string       `json:"app"`
	Ref      string       `json:"account"`
	Name     string       `json:"name"`
	Status   string       `json:"status"`
	Type     string       `json:"accountType"`
	Holdings []HoldingRow `json:"holdings"`
	Graph    *Graph       `json:"graph,omitempty"` // how it holds them, drawn
}

// PersonView is a person's page: every account in every app.
type PersonView struct {
	Key      string        `json:"key"`
	Name     string        `json:"name"`
	Left     bool          `json:"left,omitempty"`
	Accounts []AccountView `json:"accounts"`
}

func person(f *fleet.Fleet, q url.Values) (any, error) {
	who := q.Get("q")
	if who == "" {
		return nil, badRequest("person: give ?q= an email, login or name")
	}
	p, err := f.Find(who)
	if err != nil {
		return nil, notFound("%v", err)
	}
	v := PersonView{Key: p.Key, Name: p.Name, Left: p.Left(), Accounts: []AccountView{}}
	for _, a := range p.Accounts {
		av := AccountView{App: a.App.Name, Ref: a.Ref(), Name: a.Name(), Status: a.Status, Type: a.Type, Holdings: []HoldingRow{}}
		var rows []AccessRow
		for _, h := range a.Holdings {
			hr := HoldingRow{Entitlement: h.Entitlement, Name: h.Name, Via: Via{Direct: h.Direct, Through: h.Through}}
			av.Holdings = append(av.Holdings, hr)
			rows = append(rows, AccessRow{Entitlement: EntRef{ID: h.Entitlement, Name: h.Name, Resource: Ref{Name: h.Entitlement}}, Via: hr.Via})
		}
		if len(rows) > 0 {
			// The single-file explorer's drawing, per app; its boxes lead
			// back here (the fleet has no entitlement pages).
			av.Graph = buildGraph(Ref{Type: a.ResourceType, ID: a.ResourceID, Name: a.Name()}, rows, "")
			for _, n := range av.Graph.Nodes {
				n.Link = link("", "/person", "q", who)
			}
		}
		v.Accounts = append(v.Accounts, av)
	}
	return v, nil
}

// OrphanRow is an account the IdP does not vouch for.
type OrphanRow struct {
	Kind   string `json:"kind"` // "no person" or "person left"
	App    string `json:"app"`
	Ref    string `json:"account"`
	Name   string `json:"name"`
	Person string `json:"person,omitempty"`
	Grants int    `json:"grants"`
}

// OrphansView is the orphans page; without an IdP it says so.
type OrphansView struct {
	IdP   string      `json:"idp"`
	Items []OrphanRow `json:"items"`
}

func orphans(f *fleet.Fleet, _ url.Values) (any, error) {
	v := OrphansView{Items: []OrphanRow{}}
	if f.IdP == nil {
		return v, nil
	}
	v.IdP = f.IdP.Name
	unowned, left := f.Orphans()
	for _, a := range unowned {
		v.Items = append(v.Items, OrphanRow{Kind: "no person", App: a.App.Name, Ref: a.Ref(), Name: a.Name(), Grants: len(a.Holdings)})
	}
	for _, a := range left {
		v.Items = append(v.Items, OrphanRow{Kind: "person left", App: a.App.Name, Ref: a.Ref(), Name: a.Name(), Person: a.Person.Name, Grants: len(a.Holdings)})
	}
	return v, nil
}
