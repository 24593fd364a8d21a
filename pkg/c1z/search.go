package c1z

import (
	"context"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// SearchResources returns one page of the resources q selects whose id or
// display name contains text, ignoring case; empty text selects them all.
//
// The file has no column for display names (its schema is Baton's), so
// SQLite first keeps only rows whose id or encoded message contains the
// text, which skips decoding nearly every row of a large type, and each
// candidate is then checked on its decoded fields. SQLite folds only ASCII
// case, so a text with other letters is matched by decoding every row.
func (rd *Reader) SearchResources(ctx context.Context, q ResourceQuery, text string, p Page) ([]*connectorv2.Resource, string, error) {
	s := rd.s
	if text == "" {
		return s.ResourcesPage(ctx, q, p)
	}
	size, after, err := p.limits()
	if err != nil {
		return nil, "", err
	}
	w, err := s.resourceWhere(ctx, q)
	if err != nil {
		return nil, "", err
	}
	needle := strings.ToLower(text)
	cond, args := w.sql(""), w.args
	if isASCII(needle) {
		cond += " and (instr(lower(external_id), ?) > 0 or instr(lower(data), ?) > 0)"
		args = append(append([]any{}, args...), needle, needle)
	}
	pre := &where{cols: nil, args: args, raw: cond}
	var out []*connectorv2.Resource
	var lastRow int64
	for {
		rows, err := s.fetch(ctx, tResources, pre, after, streamChunk)
		if err != nil {
			return nil, "", err
		}
		for _, r := range rows {
			m := &connectorv2.Resource{}
			if err := proto.Unmarshal(r.data, m); err != nil {
				if err := s.invalid(&RowError{Table: tResources, Row: r.id, ID: r.ext, Err: err}); err != nil {
					return nil, "", err
				}
				continue
			}
			if !strings.Contains(strings.ToLower(m.GetId().GetResource()), needle) &&
				!strings.Contains(strings.ToLower(m.GetDisplayName()), needle) {
				continue
			}
			if len(out) == size {
				return out, pageToken(lastRow), nil
			}
			out, lastRow = append(out, m), r.id
		}
		if len(rows) < streamChunk {
			return out, "", nil
		}
		after = rows[len(rows)-1].id
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
