package v3file

import (
	"bytes"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// Kind is the record-type byte of a primary key in Baton's Pebble layout
// (pkg/dotc1z/engine/pebble there): keys are a version byte, the kind,
// then a tuple of ids, so the records of one kind share a two-byte prefix.
// Index keys (kind 0x07) and engine bookkeeping are not needed to read a
// sync.
type Kind byte

// The kinds of record a sync holds.
const (
	KindResourceType Kind = 0x01
	KindResource     Kind = 0x02
	KindEntitlement  Kind = 0x03
	KindGrant        Kind = 0x04
	KindAsset        Kind = 0x05
	KindSyncRun      Kind = 0x06
)

const keyVersion = 0x03

func (k Kind) bounds() *pebble.IterOptions {
	return &pebble.IterOptions{LowerBound: []byte{keyVersion, byte(k)}, UpperBound: []byte{keyVersion, byte(k) + 1}}
}

// DB is an unpacked v3 payload, open to read.
type DB struct{ pdb *pebble.DB }

// Open opens the Pebble database Extract wrote in dir, read-only, with
// Pebble's defaults (Baton's files use its default comparer) and no
// logging.
func Open(dir string) (*DB, error) {
	db, err := pebble.Open(dir, &pebble.Options{ReadOnly: true, Logger: quietPebble{}})
	if err != nil {
		return nil, fmt.Errorf("%w: v3 Pebble database: %v", errCorrupt, err)
	}
	return &DB{pdb: db}, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.pdb.Close() }

// quietPebble drops Pebble's logging; its Fatalf (which would exit the
// process) becomes a panic, which callers recover as corruption.
type quietPebble struct{}

func (quietPebble) Infof(string, ...any)  {}
func (quietPebble) Errorf(string, ...any) {}
func (quietPebble) Fatalf(format string, args ...any) {
	panic(fmt.Errorf("%w: v3 Pebble database: "+format, append([]any{errCorrupt}, args...)...))
}

// Scan calls fn with the value of every record of kind k, in key order.
// The value is valid only during the call.
func (d *DB) Scan(k Kind, fn func([]byte) error) error {
	it, err := d.pdb.NewIter(k.bounds())
	if err != nil {
		return fmt.Errorf("%w: v3 Pebble database: %v", errCorrupt, err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err == nil {
			err = fn(v)
		}
		if err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return fmt.Errorf("%w: v3 Pebble database: %v", errCorrupt, err)
	}
	return it.Close()
}

// resourceKey is the primary key of a resource: Baton's tuple of its
// type and id, with 0x00 and 0x01 escaped.
func resourceKey(typ, id string) []byte {
	k := append(make([]byte, 0, 4+len(typ)+len(id)), keyVersion, byte(KindResource), 0)
	k = appendTuple(k, typ)
	k = append(k, 0)
	return appendTuple(k, id)
}

func appendTuple(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0:
			dst = append(dst, 1, 1)
		case 1:
			dst = append(dst, 1, 2)
		default:
			dst = append(dst, s[i])
		}
	}
	return dst
}

// Resource reads one resource by id; nil when the sync has none.
func (d *DB) Resource(id *connectorv2.ResourceId) (*connectorv2.Resource, error) {
	if id == nil {
		return nil, nil
	}
	b, closer, err := d.pdb.Get(resourceKey(id.GetResourceType(), id.GetResource()))
	if err == pebble.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: v3 Pebble database: %v", errCorrupt, err)
	}
	defer closer.Close()
	r, err := Resource(b)
	if err != nil {
		return nil, fmt.Errorf("%w: v3 resource record: %v", errCorrupt, err)
	}
	return r, nil
}

// Seeker looks resources up for one listing through one iterator: a Get
// on the database builds an iterator over its files each time, three
// times the cost of a seek on one already open. It is not safe for
// concurrent use.
type Seeker struct {
	db   *DB
	it   *pebble.Iterator
	last *connectorv2.Resource // grants of one entitlement share its resource
	dec  ResourceDecoder
}

// Seeker returns a new Seeker; Close it when the listing ends.
func (d *DB) Seeker() *Seeker { return &Seeker{db: d} }

// Get returns the resource id names (nil when the sync has none) and
// remembers it: the next Get or Lookup of the same id returns the same
// message without reading.
func (s *Seeker) Get(id *connectorv2.ResourceId) (*connectorv2.Resource, error) {
	r, err := s.Lookup(id)
	if r != nil {
		s.last = r
	}
	return r, err
}

// Lookup is Get without remembering: for ids that do not repeat, so the
// one that does stays remembered.
func (s *Seeker) Lookup(id *connectorv2.ResourceId) (*connectorv2.Resource, error) {
	if id == nil {
		return nil, nil
	}
	if l := s.last; l != nil && l.GetId().GetResourceType() == id.GetResourceType() && l.GetId().GetResource() == id.GetResource() {
		return l, nil
	}
	if s.it == nil {
		var err error
		if s.it, err = s.db.pdb.NewIter(KindResource.bounds()); err != nil {
			return nil, fmt.Errorf("%w: v3 Pebble database: %v", errCorrupt, err)
		}
	}
	key := resourceKey(id.GetResourceType(), id.GetResource())
	if !s.it.SeekGE(key) || !bytes.Equal(s.it.Key(), key) {
		if err := s.it.Error(); err != nil {
			return nil, fmt.Errorf("%w: v3 Pebble database: %v", errCorrupt, err)
		}
		return nil, nil
	}
	b, err := s.it.ValueAndErr()
	if err != nil {
		return nil, fmt.Errorf("%w: v3 Pebble database: %v", errCorrupt, err)
	}
	r, err := s.dec.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: v3 resource record: %v", errCorrupt, err)
	}
	return ResourceFrom(r), nil
}

// Close releases the seeker's iterator.
func (s *Seeker) Close() {
	if s.it != nil {
		s.it.Close()
	}
}
