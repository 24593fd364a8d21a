package runner

import "testing"

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct{ in, typ, id string }{
		{"group:platform", "group", "platform"},
		{"group:a:b", "group", "a:b"},
		{"bid:r:user/1234", "user", "1234"},
		{"bid:r:group/5678/user/1234", "user", "1234"},
		{`bid:r:group/cn=eng,ou=groups\/x\:y\\z`, "group", `cn=eng,ou=groups/x:y\z`},
	} {
		id, err := parseTarget(tc.in)
		if err != nil || id.GetResourceType() != tc.typ || id.GetResource() != tc.id {
			t.Errorf("%q: %v %v, want %s %s", tc.in, id, err, tc.typ, tc.id)
		}
	}
	for _, bad := range []string{"group", ":x", "group:", "bid:r:user", "bid:r:a/b/c", "bid:r:user/1:2", `bid:r:user/1\`, "bid:r:/x"} {
		if _, err := parseTarget(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
