// Package suggest finds what a user probably meant: the closest ids of a
// sync to one it does not hold, the closest flag to an unknown one. The CLI
// and every connector's runner use it, so a typo gets the same "did you
// mean" everywhere.
//
//	if near := suggest.Closest("grop", []string{"group", "user"}, 3); len(near) > 0 {
//		fmt.Println("did you mean", strings.Join(near, ", "))
//	}
package suggest
