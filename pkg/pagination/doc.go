// Package pagination keeps nested paging state in one page token.
//
// Many APIs need several listings to answer one ListGrants call (members,
// then owners; or every project of every workspace). A Bag is a stack of
// positions serialized into the token the connector returns, so the next
// call continues exactly where the last one stopped:
//
//	bag, err := pagination.Parse(req.Token)
//	if bag.Current() == nil {
//		bag.Push(pagination.State{Kind: "owners"})
//		bag.Push(pagination.State{Kind: "members"}) // listed first
//	}
//	cur := bag.Current()
//	items, next, err := api.List(ctx, cur.Kind, cur.Token)
//	bag.Next(next) // moves on, or pops when next is ""
//	token, err := bag.Token()
package pagination
