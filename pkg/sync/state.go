package sync

import (
	"encoding/json"
	"fmt"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// tokenVersion changes whenever the token's meaning changes; a run never
// resumes from a token of another version.
const tokenVersion = 1

// Operations on the action stack.
const (
	opResourceTypes = "list-resource-types"
	opResources     = "list-resources"
	opTargets       = "sync-targets"
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
// kept: a type, a parent, a page token.
type action struct {
	Op        string `json:"op"`
	TypeID    string `json:"type_id,omitempty"`
	Parent    *rid   `json:"parent,omitempty"`
	PageToken string `json:"page_token,omitempty"`
	Targets   []rid  `json:"targets,omitempty"`
}

// state is the resume token's content.
type state struct {
	Version int      `json:"version"`
	Kind    string   `json:"kind"`
	Actions []action `json:"actions"` // a stack: the last entry runs next
	Steps   int      `json:"steps"`   // steps completed so far
}

func (s *state) top() *action {
	if len(s.Actions) == 0 {
		return nil
	}
	return &s.Actions[len(s.Actions)-1]
}

func (s *state) pop() { s.Actions = s.Actions[:len(s.Actions)-1] }

func (s *state) push(a ...action) { s.Actions = append(s.Actions, a...) }

func (s *state) marshal() (string, error) {
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
	return &st, nil
}
