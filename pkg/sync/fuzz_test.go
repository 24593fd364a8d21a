package sync

import "testing"

// The resume token is read back from a file that may be damaged or
// hostile: any string is refused with an error, or gives a state whose
// stack the syncer can walk.
func FuzzParseState(f *testing.F) {
	st := (&Syncer{}).initialState()
	tok, _ := st.marshal()
	f.Add(tok)
	f.Add(`{"version":2,"kind":"full","next_id":3,"actions":[{"id":2,"op":"list-grants"},{"id":1,"op":"list-resources","type_id":"user","page_token":"x"}]}`)
	f.Add(`{"version":1}`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, token string) {
		s, err := parseState(token)
		if err != nil || len(s.Actions) > 10_000 {
			return
		}
		for a := s.top(); a != nil; a = s.top() {
			_ = a.planner()
			_ = a.what()
			if _, err := s.advance(a.ID, "", false, nil); err != nil {
				t.Fatalf("a parsed state cannot be walked: %v", err)
			}
		}
	})
}
