package sync

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	stdsync "sync"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// tokenVersion changes whenever the token's meaning changes; a run never
// resumes from a token of another version (it restarts the sync instead,
// which redoes work but never loses any). Version 2 is the phased order.
const tokenVersion = 2

// Operations on the action stack. A "planner" is an action of a listing
// op with no type (and no resource): it reads what the store already holds
// and pushes one leaf action per type or resource, a page at a time.
const (
	opResourceTypes = "list-resource-types"
	opResources     = "list-resources"
	opStatic        = "list-static-entitlements"
	opEntitlements  = "list-entitlements"
	opGrants        = "list-grants"
	opTarget        = "targeted-resource"
	opExpand        = "grant-expansion"
)

type rid struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

func toRID(id *connectorv2.ResourceId) *rid {
	if id == nil {
		return nil
	}
	return &rid{Type: id.GetResourceType(), ID: id.GetResource()}
}

func (r *rid) pb() *connectorv2.ResourceId {
	if r == nil {
		return nil
	}
	return &connectorv2.ResourceId{ResourceType: r.Type, Resource: r.ID}
}

// action is one entry of the stack. Only what is needed to continue is
// kept: an op, a type, a resource, a parent, a page token.
type action struct {
	ID         uint64 `json:"id"`
	Op         string `json:"op"`
	TypeID     string `json:"type_id,omitempty"`
	ResourceID string `json:"resource_id,omitempty"`
	Parent     *rid   `json:"parent,omitempty"`
	PageToken  string `json:"page_token,omitempty"`
	// TypeScoped marks a listing of a whole type's entitlements or grants
	// (the type carries TypeScopedEntitlements / TypeScopedGrants).
	TypeScoped bool `json:"type_scoped,omitempty"`
	// Spawned marks a sibling cursor a connector enqueued with
	// EnqueuePageTokens.
	Spawned bool `json:"spawned,omitempty"`
	// Planned marks a planner that has already pushed its type-scoped
	// actions, so a resumed planner does not push them twice.
	Planned bool `json:"planned,omitempty"`
}

// planner reports whether a is a planner rather than a leaf.
func (a *action) planner() bool {
	switch a.Op {
	case opResources, opStatic:
		return a.TypeID == ""
	case opEntitlements, opGrants:
		return a.TypeID == "" && a.ResourceID == ""
	}
	return false
}

// resource is the resource a per-resource leaf action is about.
func (a *action) resource() *connectorv2.ResourceId {
	return &connectorv2.ResourceId{ResourceType: a.TypeID, Resource: a.ResourceID}
}

// what names the action for errors and logs.
func (a *action) what() string {
	s := a.Op
	switch {
	case a.TypeScoped:
		s += fmt.Sprintf(" of resource type %q (type-scoped)", a.TypeID)
	case a.ResourceID != "":
		s += fmt.Sprintf(" of %s:%s (resource type %q)", a.TypeID, a.ResourceID, a.TypeID)
	case a.TypeID != "":
		s += fmt.Sprintf(" of resource type %q", a.TypeID)
	}
	if a.Parent != nil {
		s += " under " + a.Parent.Type + ":" + a.Parent.ID
	}
	return s
}

// phase is the name a progress report and an error give an op.
func phase(op string) string {
	switch op {
	case opResourceTypes:
		return "resource types"
	case opResources:
		return "resources"
	case opStatic:
		return "static entitlements"
	case opEntitlements:
		return "entitlements"
	case opGrants:
		return "grants"
	case opTarget:
		return "targeted resources"
	case opExpand:
		return "grant expansion"
	case opExternal:
		return "external principals"
	}
	return op
}

// state is the resume token's content: a stack of actions (the last entry
// runs next) whose ids only grow, so the slice stays sorted by id and an
// action that finishes out of order (in a parallel batch) is found by
// binary search.
type state struct {
	Version int      `json:"version"`
	Kind    string   `json:"kind"`
	NextID  uint64   `json:"next_id"`
	Actions []action `json:"actions"`
	Steps   int      `json:"steps"` // steps completed so far, over every run
	// Needs records, per resource type, whether any stored resource of it
	// needs a per-resource entitlement (needEntitlements) or grant
	// (needGrants) listing, so planners never read back types whose every
	// resource skips them. O(types), like the rest of the token.
	Needs map[string]int `json:"needs,omitempty"`

	mu stdsync.Mutex
}

func (s *state) top() *action {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.Actions) == 0 {
		return nil
	}
	a := s.Actions[len(s.Actions)-1]
	return &a
}

// Bits of state.Needs.
const (
	needEntitlements = 1 << iota
	needGrants
)

func (s *state) need(typeID string, bits int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Needs[typeID]&bits == bits {
		return
	}
	if s.Needs == nil {
		s.Needs = map[string]int{}
	}
	s.Needs[typeID] |= bits
}

func (s *state) needs(typeID string, bit int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Needs[typeID]&bit != 0
}

// push adds actions on top, in order (the last one runs first), and
// returns them with their ids.
func (s *state) push(as ...action) []action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushLocked(as)
}

func (s *state) pushLocked(as []action) []action {
	out := make([]action, len(as))
	for i, a := range as {
		a.ID = s.NextID
		s.NextID++
		s.Actions = append(s.Actions, a)
		out[i] = a
	}
	return out
}

func (s *state) indexLocked(id uint64) (int, bool) {
	return slices.BinarySearchFunc(s.Actions, id, func(a action, id uint64) int { return cmp.Compare(a.ID, id) })
}

// advance records one finished step of action id: new actions are pushed
// on top, and the action continues at next or, when next is empty, is
// removed. It returns the pushed actions with their ids.
func (s *state) advance(id uint64, next string, planned bool, pushed []action) ([]action, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.indexLocked(id)
	if !ok {
		return nil, fmt.Errorf("sync state: action %d is not on the stack", id)
	}
	s.Steps++
	if next != "" {
		s.Actions[i].PageToken = next
		s.Actions[i].Planned = s.Actions[i].Planned || planned
	} else {
		s.Actions = slices.Delete(s.Actions, i, i+1)
	}
	return s.pushLocked(pushed), nil
}

// peek returns up to n consecutive actions of op from the top, top first:
// the batch a parallel phase runs at once, as Baton's syncer does.
func (s *state) peek(op string, n int) []action {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []action
	for i := len(s.Actions) - 1; i >= 0 && len(out) < n; i-- {
		a := s.Actions[i]
		if a.Op != op || a.planner() {
			break
		}
		out = append(out, a)
	}
	return out
}

func (s *state) marshal() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(s)
	return string(b), err
}

func parseState(token string) (*state, error) {
	var st state
	if err := json.Unmarshal([]byte(token), &st); err != nil {
		return nil, fmt.Errorf("parse sync token: %w", err)
	}
	if st.Version != tokenVersion {
		return nil, fmt.Errorf("sync token version %d, this syncer writes version %d", st.Version, tokenVersion)
	}
	if !slices.IsSortedFunc(st.Actions, func(a, b action) int { return cmp.Compare(a.ID, b.ID) }) {
		return nil, fmt.Errorf("parse sync token: actions out of order")
	}
	for _, a := range st.Actions {
		if a.ID >= st.NextID {
			return nil, fmt.Errorf("parse sync token: action id %d not below next id %d", a.ID, st.NextID)
		}
	}
	return &st, nil
}
