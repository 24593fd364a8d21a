package fleet

import (
	"reflect"
	"testing"
)

// An entry decodes to what was encoded; any shorter or longer prefix of
// it, or other bytes, is no entry (the file is then read in full).
func TestCacheEntryRoundTrip(t *testing.T) {
	e := cacheEntry{Version: cacheVersion, Size: 12345, ModTime: -7, SHA256: "ab12", SyncID: "2abc",
		Accounts: []cachedAcct{
			{Type: "user", ID: "u1", Name: "Ada", Status: "enabled", AccountType: "human",
				Keys:     Keys{Email: []string{"ada@example.com", "a@x"}, Login: []string{"ada"}},
				Holdings: []Holding{{Entitlement: "group:g:member", Name: "member", Direct: true}, {Entitlement: "group:h:member", Through: []string{"group:g:member"}}}},
			{Type: "user", ID: "u2", Status: "disabled"},
		}}
	b := encodeEntry(e)
	got, ok := decodeEntry(b)
	if !ok || !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip: %v\n%+v\nwant %+v", ok, got, e)
	}
	for i := range len(b) {
		if _, ok := decodeEntry(b[:i]); ok {
			t.Fatalf("a %d-byte prefix of a %d-byte entry decoded", i, len(b))
		}
	}
	if _, ok := decodeEntry(append(b, 0)); ok {
		t.Error("an entry with a trailing byte decoded")
	}
}
