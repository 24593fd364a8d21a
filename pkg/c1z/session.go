package c1z

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/batonkit/batonkit/pkg/session"
)

// The session store is a small key/value table per sync
// (v1_connector_sessions) where a connector keeps state between calls of
// one sync: a cursor, a cache of ids. Writes go to the database at once,
// not through the batch writer, so a value read back is the value written.
// Keys are stored as Baton stores them: a caller's prefix is part of the
// key.

// SessionSet stores value under key for a sync.
func (s *Store) SessionSet(ctx context.Context, syncID, key string, value []byte) error {
	return s.SessionSetMany(ctx, syncID, map[string][]byte{key: value})
}

// SessionSetMany stores several values at once, in one transaction.
func (s *Store) SessionSetMany(ctx context.Context, syncID string, values map[string][]byte) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		for k, v := range values {
			if v == nil {
				v = []byte{}
			}
			if _, err := tx.ExecContext(ctx, `insert into v1_connector_sessions (sync_id, key, value) values (?, ?, ?)
				on conflict (sync_id, key) do update set value = excluded.value`, syncID, k, v); err != nil {
				return err
			}
		}
		return nil
	})
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

// SessionDelete removes keys.
func (s *Store) SessionDelete(ctx context.Context, syncID string, keys ...string) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, "delete from v1_connector_sessions where sync_id = ? and key = ?", syncID, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// SessionClear removes every key of a sync that starts with prefix (all
// of them for an empty prefix).
func (s *Store) SessionClear(ctx context.Context, syncID, prefix string) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "delete from v1_connector_sessions where sync_id = ? and substr(key, 1, ?) = ?", syncID, len(prefix), prefix)
		return err
	})
}

// SessionEntry is one key and its value: the session package's entry, so
// a Store is a session.Backend as it is.
type SessionEntry = session.Entry

var _ session.Backend = (*Store)(nil)

// SessionPage returns up to n entries of a sync whose keys start with
// prefix, from the key prefix+from on, in key order, and the key where the
// next page starts ("" after the last page).
func (s *Store) SessionPage(ctx context.Context, syncID, prefix, from string, n int) ([]SessionEntry, string, error) {
	if err := s.checkOpen(); err != nil {
		return nil, "", err
	}
	if !s.schema.hasSessions {
		return nil, "", nil
	}
	rows, err := s.db.QueryContext(ctx, `select key, value from v1_connector_sessions
		where sync_id = ? and key >= ? and substr(key, 1, ?) = ? order by key limit ?`, syncID, prefix+from, len(prefix), prefix, n+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []SessionEntry
	for rows.Next() {
		var e SessionEntry
		if err := rows.Scan(&e.Key, &e.Value); err != nil {
			return nil, "", err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > n {
		next = strings.TrimPrefix(out[n].Key, prefix)
		out = out[:n]
	}
	return out, next, nil
}
