package cli

import (
	"bytes"
	"iter"
	"runtime"
	"sync"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// encodeOrdered encodes the items of seq to bytes on several cores and
// writes them in their original order: listings stay streams, and a large
// JSON export is no longer bound to one core's protojson speed.
func encodeOrdered[T any](seq iter.Seq2[T, error], encode func(w *encoder, item T) error, write func([]byte) error) error {
	const batchSize = 256
	workers := max(1, runtime.GOMAXPROCS(0))
	type job struct {
		items []T
		out   chan []byte
		err   error
	}
	jobs := make(chan *job, workers)
	ordered := make(chan *job, workers*2)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			enc := newEncoder()
			last := 0
			for j := range jobs {
				// Batches are alike: start at the size of the last one
				// rather than growing (and copying) from empty.
				var buf bytes.Buffer
				buf.Grow(last + last/8)
				enc.buf = &buf
				for _, it := range j.items {
					if err := encode(enc, it); err != nil {
						j.err = err
						break
					}
				}
				last = buf.Len()
				j.out <- buf.Bytes()
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(ordered)
		defer close(jobs)
		var batch []T
		send := func() {
			j := &job{items: batch, out: make(chan []byte, 1)}
			ordered <- j
			jobs <- j
			batch = nil
		}
		for it, err := range seq {
			if err != nil {
				readErr <- err
				return
			}
			batch = append(batch, it)
			if len(batch) == batchSize {
				send()
			}
		}
		if len(batch) > 0 {
			send()
		}
		readErr <- nil
	}()
	var werr error
	for j := range ordered {
		b := <-j.out
		if werr == nil && j.err != nil {
			werr = j.err
		}
		if werr == nil {
			werr = write(b)
		}
	}
	wg.Wait()
	if err := <-readErr; err != nil {
		return err
	}
	return werr
}

// encoder writes protojson, remembering the encoding of objects that
// repeat across rows (the entitlement and resource of every grant of one
// entitlement) so each is encoded once per worker. An object read by id
// from its own table is keyed by id. An object embedded in a row (a
// grant's entitlement) cannot be: rows of one id may embed it differently
// and each must print what it holds. The views share one decoded message
// among consecutive rows that embed the same bytes, so the last such
// message's encoding is kept (embedded).
type encoder struct {
	buf      *bytes.Buffer
	mo       protojson.MarshalOptions
	cache    map[cacheKey][]byte
	embedded struct {
		msg proto.Message
		b   []byte
	}
}

type cacheKey struct {
	kind string
	id   string
}

const encoderCacheSize = 4096

func newEncoder() *encoder { return &encoder{cache: map[cacheKey][]byte{}} }

// field writes `"name":<json of m>` after sep, skipping nil messages.
func (e *encoder) field(sep, name string, m proto.Message, key cacheKey) (string, error) {
	if m == nil || !m.ProtoReflect().IsValid() {
		return sep, nil
	}
	e.buf.WriteString(sep + `"` + name + `":`)
	if key.id == "" {
		return ",", e.marshal(m)
	}
	b, ok := e.cache[key]
	if !ok {
		start := e.buf.Len()
		if err := e.marshal(m); err != nil {
			return sep, err
		}
		e.remember(key, bytes.Clone(e.buf.Bytes()[start:]))
		return ",", nil
	}
	e.buf.Write(b)
	return ",", nil
}

// embeddedField is field for an object embedded in a row, reusing the
// encoding of the last one when the row shares its message.
func (e *encoder) embeddedField(sep, name string, m proto.Message) (string, error) {
	if m == nil || !m.ProtoReflect().IsValid() {
		return sep, nil
	}
	e.buf.WriteString(sep + `"` + name + `":`)
	if m == e.embedded.msg {
		e.buf.Write(e.embedded.b)
		return ",", nil
	}
	start := e.buf.Len()
	if err := e.marshal(m); err != nil {
		return sep, err
	}
	e.embedded.msg, e.embedded.b = m, append(e.embedded.b[:0], e.buf.Bytes()[start:]...)
	return ",", nil
}

// remember keeps an encoding, bounded so a long listing's memory stays flat.
func (e *encoder) remember(key cacheKey, b []byte) {
	if len(e.cache) >= encoderCacheSize {
		clear(e.cache)
	}
	e.cache[key] = b
}

// close ends a JSON object opened by the first field written with sep "{".
func (e *encoder) close(sep string) {
	if sep == "{" {
		e.buf.WriteByte('{')
	}
	e.buf.WriteByte('}')
}

// grant writes a Grant as protojson would, reusing the cached encoding of
// its entitlement (the same for every grant of that entitlement).
func (e *encoder) grant(sep string, g *connectorv2.Grant) (string, error) {
	e.buf.WriteString(sep + `"grant":`)
	inner := "{"
	var err error
	if inner, err = e.embeddedField(inner, "entitlement", g.GetEntitlement()); err != nil {
		return sep, err
	}
	if inner, err = e.field(inner, "principal", g.GetPrincipal(), cacheKey{}); err != nil {
		return sep, err
	}
	if g.GetId() != "" {
		e.buf.WriteString(inner + `"id":`)
		if err := appendJSONString(e.buf, g.GetId()); err != nil {
			return sep, err
		}
		inner = ","
	}
	if inner, err = e.field(inner, "sources", g.GetSources(), cacheKey{}); err != nil {
		return sep, err
	}
	if len(g.GetAnnotations()) > 0 {
		e.buf.WriteString(inner + `"annotations":[`)
		for i, a := range g.GetAnnotations() {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			if err := e.marshal(a); err != nil {
				return sep, err
			}
		}
		e.buf.WriteByte(']')
		inner = ","
	}
	if inner == "{" {
		e.buf.WriteByte('{')
	}
	e.buf.WriteByte('}')
	return ",", nil
}
