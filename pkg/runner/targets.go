package runner

import (
	"fmt"
	"strings"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// parseTarget reads one --sync-resources value: Baton's resource BID
// (bid:r:TYPE/ID, or bid:r:PARENT_TYPE/PARENT_ID/TYPE/ID, with \/, \: and
// \\ escaped), or the shorter TYPE:ID.
func parseTarget(v string) (*connectorv2.ResourceId, error) {
	if rest, ok := strings.CutPrefix(v, "bid:r:"); ok {
		parts, err := splitEscaped(rest)
		if err != nil || (len(parts) != 2 && len(parts) != 4) {
			return nil, fmt.Errorf("--sync-resources %q: a resource BID is bid:r:TYPE/ID or bid:r:PARENT_TYPE/PARENT_ID/TYPE/ID", v)
		}
		typ, id := parts[len(parts)-2], parts[len(parts)-1]
		if typ == "" || id == "" {
			return nil, fmt.Errorf("--sync-resources %q: empty resource type or id", v)
		}
		return resourceID(typ, id), nil
	}
	typ, id, ok := strings.Cut(v, ":")
	if !ok || typ == "" || id == "" {
		return nil, fmt.Errorf("--sync-resources %q: want <resource type>:<resource id> or a resource BID (bid:r:TYPE/ID)", v)
	}
	return resourceID(typ, id), nil
}

// splitEscaped splits a BID's resource part at unescaped slashes and
// removes the escapes. An unescaped colon ends no resource part, so it is
// refused.
func splitEscaped(s string) ([]string, error) {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) {
				return nil, fmt.Errorf("a trailing backslash")
			}
			i++
			cur.WriteByte(s[i])
		case '/':
			parts = append(parts, cur.String())
			cur.Reset()
		case ':':
			return nil, fmt.Errorf("an unescaped colon")
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, cur.String()), nil
}
