package fleet

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/batonkit/batonkit/internal/suggest"
)

// Person is one human: with an IdP, one of its human accounts; without,
// the human accounts that share a matching key.
type Person struct {
	Name     string     // the IdP account's name, or the first app's account's
	Key      string     // the first key that names them (an email, usually)
	Accounts []*Account // in app order
	IdP      *Account   // their IdP account, with an IdP
}

// Left reports whether the IdP says the person has gone: their IdP
// account is disabled or deleted.
func (p *Person) Left() bool { return p.IdP != nil && !p.IdP.Enabled() }

// match assigns accounts to people.
func (f *Fleet) match() {
	if f.IdP != nil {
		f.matchToIdP()
	} else {
		f.matchTogether()
	}
	for _, p := range f.people {
		slices.SortStableFunc(p.Accounts, func(a, b *Account) int { return cmp.Compare(f.appIndex(a.App), f.appIndex(b.App)) })
		if p.IdP == nil {
			// Without an IdP no name is the true one: the first app's.
			p.Name, p.Key = p.Accounts[0].Name(), f.firstKey(p.Accounts[0])
		}
	}
	slices.SortFunc(f.people, func(a, b *Person) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.Key, b.Key))
	})
}

func (f *Fleet) appIndex(a *App) int { return a.index }

// firstKey is the account's first key in the matching order.
func (f *Fleet) firstKey(a *Account) string {
	for _, k := range f.keys {
		if vs := a.keys.Of(k); len(vs) > 0 {
			return k + ":" + vs[0]
		}
	}
	return ""
}

// matchToIdP: the IdP's human accounts are the people; every other human
// account goes to the first person one of its keys names, key kinds in
// the matching order.
func (f *Fleet) matchToIdP() {
	index := map[string]*Person{}
	for _, a := range f.accounts {
		if a.App != f.IdP || !a.Human() {
			continue
		}
		p := &Person{Name: a.Name(), Key: f.firstKey(a), IdP: a}
		f.join(p, a)
		f.people = append(f.people, p)
		for _, k := range f.keys {
			for _, v := range a.keys.Of(k) {
				if _, taken := index[k+":"+v]; !taken {
					index[k+":"+v] = p
				}
			}
		}
	}
	for _, a := range f.accounts {
		if a.App == f.IdP || !a.Human() {
			continue
		}
	kinds:
		for _, k := range f.keys {
			for _, v := range a.keys.Of(k) {
				if p := index[k+":"+v]; p != nil {
					f.join(p, a)
					break kinds
				}
			}
		}
	}
}

// matchTogether: people are the connected groups of human accounts that
// share any key (union-find over the accounts' indexes).
func (f *Fleet) matchTogether() {
	parent := make([]int, len(f.accounts))
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := make(map[string]int, len(f.accounts))
	for i, a := range f.accounts {
		parent[i] = i
		if !a.Human() {
			continue
		}
		for _, k := range f.keys {
			for _, v := range a.keys.Of(k) {
				key := k + ":" + v
				if o, ok := owner[key]; ok {
					parent[find(i)] = find(o)
				} else {
					owner[key] = i
				}
			}
		}
	}
	groups := map[int]*Person{}
	for i, a := range f.accounts {
		if !a.Human() {
			continue
		}
		root := find(i)
		p := groups[root]
		if p == nil {
			p = &Person{}
			groups[root] = p
			f.people = append(f.people, p)
		}
		f.join(p, a)
	}
}

func (f *Fleet) join(p *Person, a *Account) {
	p.Accounts = append(p.Accounts, a)
	a.Person = p
}

// People is everyone, by name.
func (f *Fleet) People() []*Person { return f.people }

// Accounts is every account of every app, in app order.
func (f *Fleet) Accounts() []*Account { return f.accounts }

// ErrUnknownPerson says no person matches; its message suggests the
// closest names and keys.
type ErrUnknownPerson struct {
	Query   string
	Closest []string
}

func (e *ErrUnknownPerson) Error() string {
	msg := fmt.Sprintf("no person %q in the fleet", e.Query)
	if len(e.Closest) > 0 {
		msg += "; did you mean " + strings.Join(e.Closest, ", ") + "?"
	}
	return msg
}

// Find is the person an email, login or employee id names, or else the
// display name of one of their accounts (any case); several people of
// one name is an error listing them.
func (f *Fleet) Find(query string) (*Person, error) {
	q := normalise(query)
	for _, p := range f.people {
		for _, a := range p.Accounts {
			for _, k := range f.keys {
				if slices.Contains(a.keys.Of(k), q) {
					return p, nil
				}
			}
		}
	}
	// Then by the display name of any of their accounts.
	var named []*Person
	var all []string
	for _, p := range f.people {
		for _, a := range p.Accounts {
			if strings.EqualFold(a.Name(), query) {
				named = append(named, p)
				break
			}
		}
		all = append(all, p.Name)
		for _, a := range p.Accounts {
			for _, k := range f.keys {
				all = append(all, a.keys.Of(k)...)
			}
		}
	}
	switch len(named) {
	case 1:
		return named[0], nil
	case 0:
		slices.Sort(all)
		return nil, &ErrUnknownPerson{Query: query, Closest: suggest.Closest(query, slices.Compact(all), 3)}
	}
	var keys []string
	for _, p := range named {
		keys = append(keys, p.Key)
	}
	return nil, fmt.Errorf("%d people are named %q (%s): give an email or login", len(named), query, strings.Join(keys, ", "))
}

// Orphans are the enabled human accounts outside the IdP that match no
// IdP person, and the enabled accounts of people the IdP says have left.
func (f *Fleet) Orphans() (unowned, leftBehind []*Account) {
	if f.IdP == nil {
		return nil, nil
	}
	for _, a := range f.accounts {
		if a.App == f.IdP || !a.Enabled() || !a.Human() {
			continue
		}
		switch {
		case a.Person == nil:
			unowned = append(unowned, a)
		case a.Person.Left():
			leftBehind = append(leftBehind, a)
		}
	}
	return unowned, leftBehind
}
