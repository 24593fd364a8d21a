package explorer

import (
	"encoding/json"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/grant"
)

// The view models below are what each page shows and, encoded as JSON,
// what its /api twin returns. API.md documents them; keep the two in step.

// Ref names a resource.
type Ref struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// EntRef names an entitlement and the resource it is on.
type EntRef struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Purpose  string `json:"purpose,omitempty"`
	Resource Ref    `json:"resource"`
}

// Holder is a principal holding an entitlement, and how.
type Holder struct {
	Principal Ref `json:"principal"`
	Via       Via `json:"via"`
}

// Via says how a grant gives its principal an entitlement: listed by the
// connector (Direct), expanded from each entitlement of Through, or both.
type Via struct {
	Direct  bool     `json:"direct"`
	Through []string `json:"through,omitempty"`
}

// ViaOf reads g's expansion sources for entitlement entID. A grant with no
// sources, or with entID among them, was listed by the connector; every
// other source is an entitlement whose holders it was expanded from.
func ViaOf(g *connectorv2.Grant, entID string) Via {
	direct, through := grant.HeldVia(g, entID)
	return Via{Direct: direct, Through: through}
}

// SyncInfo describes one sync in the file.
type SyncInfo struct {
	ID       string     `json:"id"`
	Type     string     `json:"type"`
	Started  time.Time  `json:"started"`
	Ended    *time.Time `json:"ended,omitempty"`
	ParentID string     `json:"parentId,omitempty"`
	Current  bool       `json:"current"`
}

// TypeCount is a resource type with how many objects the sync holds.
type TypeCount struct {
	ID           string   `json:"id"`
	Name         string   `json:"name,omitempty"`
	Traits       []string `json:"traits,omitempty"`
	Resources    int64    `json:"resources"`
	Entitlements int64    `json:"entitlements"`
	Grants       int64    `json:"grants"`
}

// Overview is the home page.
type Overview struct {
	File  string      `json:"file"`
	Sync  SyncInfo    `json:"sync"`
	Types []TypeCount `json:"types"`
	Total TypeCount   `json:"total"`
}

// ResourceList is a page of resources of one type.
type ResourceList struct {
	Type   string `json:"type"`
	Query  string `json:"query,omitempty"`
	Items  []Ref  `json:"items"`
	Next   string `json:"next,omitempty"`
	SyncID string `json:"-"`
}

// EntitlementHolders is an entitlement with the first of its holders.
type EntitlementHolders struct {
	Entitlement EntRef   `json:"entitlement"`
	Holders     []Holder `json:"holders"`
	More        bool     `json:"more"` // more holders than listed: see the entitlement
}

// ResourceDetail is one resource.
type ResourceDetail struct {
	Resource     Ref                  `json:"resource"`
	Description  string               `json:"description,omitempty"`
	Parent       *Ref                 `json:"parent,omitempty"`
	Children     []Ref                `json:"children"`
	MoreChildren bool                 `json:"moreChildren"`
	Entitlements []EntitlementHolders `json:"entitlements"`
	HoldsGrants  bool                 `json:"holdsGrants"` // is a principal: see its access
	Raw          json.RawMessage      `json:"raw"`         // the stored message, as protojson
}

// AccessRow is one entitlement a principal holds.
type AccessRow struct {
	Entitlement EntRef `json:"entitlement"`
	Via         Via    `json:"via"`
}

// Access is a principal's effective access.
type Access struct {
	Principal Ref         `json:"principal"`
	Focus     string      `json:"focus,omitempty"` // the entitlement the graph is drawn for
	Grants    []AccessRow `json:"grants"`
	More      bool        `json:"more"` // more grants than the 5,000 read
	Graph     *Graph      `json:"graph"`
}

// EntitlementList is a page of entitlements.
type EntitlementList struct {
	Type  string   `json:"type,omitempty"`
	Items []EntRef `json:"items"`
	Next  string   `json:"next,omitempty"`
}

// EntitlementDetail is one entitlement and a page of its holders.
type EntitlementDetail struct {
	Entitlement EntRef          `json:"entitlement"`
	Description string          `json:"description,omitempty"`
	GrantableTo []string        `json:"grantableTo,omitempty"`
	Holders     []Holder        `json:"holders"`
	Next        string          `json:"next,omitempty"`
	Raw         json.RawMessage `json:"raw"`
}

// SyncList is every sync in the file.
type SyncList struct {
	Items []SyncInfo `json:"items"`
}

// Change is one difference between two syncs.
type Change struct {
	Change string   `json:"change"` // created, deleted, modified
	Kind   string   `json:"kind"`   // resource, entitlement, grant
	ID     string   `json:"id"`
	Name   string   `json:"name,omitempty"`
	Fields []string `json:"fields,omitempty"`
	Link   string   `json:"-"`
}

// DiffView is what changed from Base to Applied.
type DiffView struct {
	Base      string     `json:"base"`
	Applied   string     `json:"applied"`
	Changes   []Change   `json:"changes"`
	Total     int        `json:"total"`
	Truncated bool       `json:"truncated"`
	Syncs     []SyncInfo `json:"-"`
}

func refOf(r *connectorv2.Resource, id *connectorv2.ResourceId) Ref {
	if id == nil {
		id = r.GetId()
	}
	return Ref{Type: id.GetResourceType(), ID: id.GetResource(), Name: r.GetDisplayName()}
}

func entRefOf(e *connectorv2.Entitlement, res *connectorv2.Resource) EntRef {
	if res == nil {
		res = e.GetResource()
	}
	p := ""
	if e.GetPurpose() != connectorv2.Entitlement_PURPOSE_VALUE_UNSPECIFIED {
		p = e.GetPurpose().String()
	}
	return EntRef{ID: e.GetId(), Name: e.GetDisplayName(), Purpose: p, Resource: refOf(res, e.GetResource().GetId())}
}

func syncInfo(r c1z.SyncRun, current string) SyncInfo {
	s := SyncInfo{ID: r.ID, Type: string(r.Type), Started: r.StartedAt, ParentID: r.ParentID, Current: r.ID == current}
	if r.Finished() {
		end := r.EndedAt
		s.Ended = &end
	}
	return s
}

func rawJSON(m proto.Message) json.RawMessage {
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil
	}
	return b
}
