package fleet

import (
	"encoding/binary"
	"math"
)

// A cache entry's bytes: a magic, then varints and length-prefixed
// strings in a fixed order. Hand-written because decoding is most of a
// cached fleet question's time (gob's reflection was half of it), and
// repeated strings (types, statuses, entitlements) are shared as read.

var entryMagic = []byte("BKFLEET\x00")

type entryWriter struct{ b []byte }

func (w *entryWriter) num(n int64)  { w.b = binary.AppendVarint(w.b, n) }
func (w *entryWriter) str(s string) { w.num(int64(len(s))); w.b = append(w.b, s...) }
func (w *entryWriter) strs(s []string) {
	w.num(int64(len(s)))
	for _, v := range s {
		w.str(v)
	}
}

func encodeEntry(e cacheEntry) []byte {
	w := &entryWriter{b: append([]byte(nil), entryMagic...)}
	w.num(int64(e.Version))
	w.num(e.Size)
	w.num(e.ModTime)
	w.str(e.SHA256)
	w.str(e.SyncID)
	w.num(int64(len(e.Accounts)))
	for _, a := range e.Accounts {
		w.str(a.Type)
		w.str(a.ID)
		w.str(a.Name)
		w.str(a.Status)
		w.str(a.AccountType)
		w.strs(a.Keys.Email)
		w.strs(a.Keys.Login)
		w.strs(a.Keys.EmployeeID)
		w.num(int64(len(a.Holdings)))
		for _, h := range a.Holdings {
			w.str(h.Entitlement)
			w.str(h.Name)
			d := int64(0)
			if h.Direct {
				d = 1
			}
			w.num(d)
			w.strs(h.Through)
		}
	}
	return w.b
}

type entryReader struct {
	b      []byte
	bad    bool
	shared map[string]string
}

func (r *entryReader) num() int64 {
	n, k := binary.Varint(r.b)
	if k <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[k:]
	return n
}

// count is a length that must fit what is left.
func (r *entryReader) count() int {
	n := r.num()
	if n < 0 || n > int64(len(r.b)) || n > math.MaxInt32 {
		r.bad = true
		return 0
	}
	return int(n)
}

func (r *entryReader) raw() string {
	n := r.count()
	if r.bad {
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// common is a string that repeats across accounts: one copy of each.
func (r *entryReader) common() string {
	n := r.count()
	if r.bad {
		return ""
	}
	if s, ok := r.shared[string(r.b[:n])]; ok {
		r.b = r.b[n:]
		return s
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	r.shared[s] = s
	return s
}

func (r *entryReader) strs(each func() string) []string {
	n := r.count()
	if n == 0 || r.bad {
		return nil
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, each())
	}
	return out
}

func decodeEntry(b []byte) (cacheEntry, bool) {
	var e cacheEntry
	if len(b) < len(entryMagic) || string(b[:len(entryMagic)]) != string(entryMagic) {
		return e, false
	}
	r := &entryReader{b: b[len(entryMagic):], shared: map[string]string{}}
	e.Version = int(r.num())
	if e.Version != cacheVersion {
		return e, false
	}
	e.Size, e.ModTime = r.num(), r.num()
	e.SHA256, e.SyncID = r.raw(), r.raw()
	n := r.count()
	e.Accounts = make([]cachedAcct, 0, n)
	for i := 0; i < n && !r.bad; i++ {
		a := cachedAcct{Type: r.common(), ID: r.raw(), Name: r.raw(), Status: r.common(), AccountType: r.common()}
		a.Keys.Email, a.Keys.Login, a.Keys.EmployeeID = r.strs(r.raw), r.strs(r.raw), r.strs(r.raw)
		if h := r.count(); h > 0 {
			a.Holdings = make([]Holding, 0, h)
			for range h {
				a.Holdings = append(a.Holdings, Holding{Entitlement: r.common(), Name: r.common(), Direct: r.num() == 1, Through: r.strs(r.common)})
			}
		}
		e.Accounts = append(e.Accounts, a)
	}
	return e, !r.bad && len(r.b) == 0
}
