package protoconn

import (
	"fmt"
	"hash/fnv"
	"time"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// chaosHit says, the same way every run, whether key falls on a 1-in-n
// fault.
func chaosHit(key string, n uint32) bool {
	h := fnv.New32a()
	h.Write([]byte(key))
	return h.Sum32()%n == 0
}

// chaosPage misbehaves on one page: it is slow, repeats an item, or hands
// out a second token for the same page (so it is served twice).
func chaosPage[T any](c *Connector, listing, token string, replayed bool, out []T, next string, off, end int) ([]T, string) {
	k := listing + "|" + token
	if chaosHit(k+"|slow", 9) {
		time.Sleep(time.Millisecond)
	}
	if len(out) > 0 && chaosHit(k+"|dup", 5) {
		out = append(out[:len(out):len(out)], out[0])
	}
	if !replayed && next != "" && chaosHit(k+"|again", 6) {
		// The same page again, under another token, before moving on.
		prefix := "n"
		if token == "" {
			return out, fmt.Sprintf("n:%d:%d:r", off, end)
		}
		return out, fmt.Sprintf("%s:%d:%d:r", prefix, off, end)
	}
	return out, next
}

// addGhostGrants gives some entitlements a grant to a principal that no
// listing returns (an account deleted since, a guest of another tenant).
func addGhostGrants(w *world) {
	n := 0
	for _, ts := range w.types {
		for _, r := range ts.resources {
			k := key(r.GetId())
			ents := w.entitlements[k]
			if len(ents) == 0 || !chaosHit(k+"|ghost", 4) {
				continue
			}
			ghost := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: ts.rt.GetId(), Resource: fmt.Sprintf("ghost-%d", n)}, DisplayName: "deleted account"}
			n++
			w.grants[k] = append(w.grants[k], &connectorv2.Grant{Id: ents[0].GetId() + ":" + key(ghost.GetId()), Entitlement: ents[0], Principal: ghost})
		}
	}
}
