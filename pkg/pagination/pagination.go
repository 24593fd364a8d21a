package pagination

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxTokenBytes is the contract's limit on a page token.
const MaxTokenBytes = 1 << 20

// ErrBadToken is returned by Parse for a token no Bag produced.
var ErrBadToken = errors.New("pagination: invalid page token")

// State is one position: what is being listed, under which id, and the
// API's own cursor for it.
type State struct {
	Kind  string `json:"k,omitempty"`
	ID    string `json:"i,omitempty"`
	Token string `json:"t,omitempty"`
}

// Bag is a stack of States; the top one is being listed.
type Bag struct {
	States []State `json:"s"`
}

// Parse restores a bag from a token ("" gives an empty bag).
func Parse(token string) (*Bag, error) {
	b := &Bag{}
	if token == "" {
		return b, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	if err := json.Unmarshal(raw, b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	return b, nil
}

// Push adds a listing on top; it becomes Current.
func (b *Bag) Push(s State) { b.States = append(b.States, s) }

// Pop removes and returns the current listing (nil when empty).
func (b *Bag) Pop() *State {
	if len(b.States) == 0 {
		return nil
	}
	s := b.States[len(b.States)-1]
	b.States = b.States[:len(b.States)-1]
	return &s
}

// Current is the listing to continue (nil when the bag is empty).
func (b *Bag) Current() *State {
	if len(b.States) == 0 {
		return nil
	}
	return &b.States[len(b.States)-1]
}

// Next records the API's next cursor for the current listing, or pops it
// when next is empty (that listing is done).
func (b *Bag) Next(next string) {
	if cur := b.Current(); cur != nil {
		if next == "" {
			b.Pop()
		} else {
			cur.Token = next
		}
	}
}

// Token serializes the bag: "" when nothing is left to list.
func (b *Bag) Token() (string, error) {
	if len(b.States) == 0 {
		return "", nil
	}
	raw, err := json.Marshal(b)
	if err != nil {
		return "", err
	}
	t := base64.RawURLEncoding.EncodeToString(raw)
	if len(t) > MaxTokenBytes {
		return "", fmt.Errorf("pagination: token of %d bytes exceeds the contract's %d", len(t), MaxTokenBytes)
	}
	return t, nil
}
