package pagination

import (
	"fmt"
	"strconv"
)

// Offset is the position of an offset-paged API (?offset=N&limit=M), as a
// page token: "" is the start.
type Offset struct {
	Start int // items before this page
	Size  int // items asked per page
}

// ParseOffset reads an offset token, with size as the page size (the
// caller's PageRequest.Size, or def when it is 0).
func ParseOffset(token string, size, def int) (Offset, error) {
	if size <= 0 {
		size = def
	}
	if token == "" {
		return Offset{Size: size}, nil
	}
	n, err := strconv.Atoi(token)
	if err != nil || n < 0 {
		return Offset{}, fmt.Errorf("%w: offset %q", ErrBadToken, token)
	}
	return Offset{Start: n, Size: size}, nil
}

// Next is the token after a page that held got items: "" when the page
// was short (the listing ends), else the next offset.
func (o Offset) Next(got int) string {
	if got < o.Size || got == 0 {
		return ""
	}
	return strconv.Itoa(o.Start + got)
}

// PageNumber is the position of a page-numbered API (?page=N, from 1), as a
// page token: "" is page 1.
type PageNumber struct{ Page int }

// ParsePageNumber reads a page-number token.
func ParsePageNumber(token string) (PageNumber, error) {
	if token == "" {
		return PageNumber{Page: 1}, nil
	}
	n, err := strconv.Atoi(token)
	if err != nil || n < 1 {
		return PageNumber{}, fmt.Errorf("%w: page %q", ErrBadToken, token)
	}
	return PageNumber{Page: n}, nil
}

// Next is the token of the following page, or "" when more is false (the
// API said this was the last page, or the page was empty).
func (p PageNumber) Next(more bool) string {
	if !more {
		return ""
	}
	return strconv.Itoa(p.Page + 1)
}
