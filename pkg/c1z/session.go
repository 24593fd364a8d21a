package c1z

import (
	"context"
	"database/sql"
	"errors"
	"iter"
	"strings"
)

// The session store is a small key/value table per sync
// (v1_connector_sessions) where a connector keeps state between calls of
// one sync: a cursor, a cache of ids. It is written at once, not batched.

// SessionSet stores value under key for a sync.
func (s *Store) SessionSet(ctx context.Context, syncID, key string, value []byte) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.dirty.Store(true)
	_, err := s.db.ExecContext(ctx, `insert into v1_connector_sessions (sync_id, key, value) values (?, ?, ?)
		on conflict (sync_id, key) do update set value = excluded.value`, syncID, key, value)
	return err
}

// SessionGet returns the value under key, and whether there is one.
func (s *Store) SessionGet(ctx context.Context, syncID, key string) ([]byte, bool, error) {
	if err := s.checkOpen(); err != nil {
		return nil, false, err
	}
	if !s.schema.hasSessions {
		return nil, false, nil
	}
	var v []byte
	err := s.db.QueryRowContext(ctx, "select value from v1_connector_sessions where sync_id = ? and key = ?", syncID, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return v, err == nil, err
}

// SessionDelete removes key.
func (s *Store) SessionDelete(ctx context.Context, syncID, key string) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.dirty.Store(true)
	_, err := s.db.ExecContext(ctx, "delete from v1_connector_sessions where sync_id = ? and key = ?", syncID, key)
	return err
}

// SessionClear removes every key of a sync.
func (s *Store) SessionClear(ctx context.Context, syncID string) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.dirty.Store(true)
	_, err := s.db.ExecContext(ctx, "delete from v1_connector_sessions where sync_id = ?", syncID)
	return err
}

// Sessions streams the keys of a sync that start with prefix, in key order.
func (s *Store) Sessions(ctx context.Context, syncID, prefix string) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		if s.checkOpen() != nil || !s.schema.hasSessions {
			return
		}
		after := prefix
		first := true
		for {
			op := ">"
			if first {
				op = ">="
			}
			rows, err := s.db.QueryContext(ctx, "select key, value from v1_connector_sessions where sync_id = ? and key "+op+" ? order by key limit ?", syncID, after, streamChunk)
			if err != nil {
				return
			}
			type kv struct {
				k string
				v []byte
			}
			var batch []kv
			for rows.Next() {
				var e kv
				if rows.Scan(&e.k, &e.v) == nil {
					batch = append(batch, e)
				}
			}
			rows.Close()
			for _, e := range batch {
				if !strings.HasPrefix(e.k, prefix) {
					return
				}
				if !yield(e.k, e.v) {
					return
				}
			}
			if len(batch) < streamChunk {
				return
			}
			after, first = batch[len(batch)-1].k, false
		}
	}
}
