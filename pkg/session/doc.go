// Package session is the connector session store: a key/value store,
// scoped to one sync, where a connector keeps state between the calls of
// that sync (a cursor, a map of ids it will need again) outside its own
// memory, so the state survives the process and stays small in it.
//
// It speaks Baton's BatonSessionService (c1.connectorapi.baton.v1): the
// process that runs the sync hosts a Server backed by the sync's c1z file
// (table v1_connector_sessions), and the connector reaches it in process,
// or, as a child process, on the port the parent names in its
// ServerConfig, over mutual TLS with the child's credential, exactly as
// connectors built with Baton's SDK do.
//
// A connector reads its store from the context of any sync call:
//
//	func (u *users) List(ctx context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
//		s := session.FromContext(ctx)
//		if err := s.Set(ctx, "seen/"+id, nil); err != nil && !errors.Is(err, session.ErrNoStore) {
//			return connector.Page[*connectorv2.Resource]{}, err
//		}
//		...
//	}
//
// Values are scoped to the sync of the call: a resumed sync sees what it
// stored before the interruption; the next sync starts empty.
package session
