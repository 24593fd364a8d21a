package sqlapp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// schema is the app's own database layout (not Baton's).
const schema = `
create table users (
  id text primary key,
  login text not null unique,
  email text not null,
  name text not null,
  status text not null default 'active', -- active | suspended
  password_hash text not null default ''
);
create table groups (
  id text primary key,
  name text not null
);
create table group_members (
  group_id text not null references groups(id) on delete cascade,
  member_type text not null, -- user | group
  member_id text not null,
  primary key (group_id, member_type, member_id)
);
create table roles (
  id text primary key,
  name text not null,
  description text not null default ''
);
create table role_assignments (
  role_id text not null references roles(id) on delete cascade,
  user_id text not null references users(id) on delete cascade,
  primary key (role_id, user_id)
);`

// seed is a small organisation: engineering nests inside everyone,
// platform inside engineering.
const seed = `
insert into users (id, login, email, name, status) values
  ('u1', 'ada', 'ada@example.com', 'Ada Lovelace', 'active'),
  ('u2', 'grace', 'grace@example.com', 'Grace Hopper', 'active'),
  ('u3', 'linus', 'linus@example.com', 'Linus Torvalds', 'active'),
  ('u4', 'margaret', 'margaret@example.com', 'Margaret Hamilton', 'active'),
  ('u5', 'ken', 'ken@example.com', 'Ken Thompson', 'suspended'),
  ('u6', 'barbara', 'barbara@example.com', 'Barbara Liskov', 'active');
insert into groups (id, name) values
  ('everyone', 'Everyone'), ('engineering', 'Engineering'), ('platform', 'Platform'), ('finance', 'Finance');
insert into group_members (group_id, member_type, member_id) values
  ('everyone', 'group', 'engineering'), ('everyone', 'group', 'finance'), ('everyone', 'user', 'u6'),
  ('engineering', 'group', 'platform'), ('engineering', 'user', 'u2'),
  ('platform', 'user', 'u1'), ('platform', 'user', 'u3'),
  ('finance', 'user', 'u4'), ('finance', 'user', 'u5');
insert into roles (id, name, description) values
  ('admin', 'Administrator', 'Full control of the application'),
  ('auditor', 'Auditor', 'Read-only access to every record');
insert into role_assignments (role_id, user_id) values ('admin', 'u1'), ('auditor', 'u4');`

// OpenDB opens the app database at path, creating and seeding it first
// when the file does not exist.
func OpenDB(ctx context.Context, path string) (*sql.DB, error) {
	_, err := os.Stat(path)
	fresh := errors.Is(err, fs.ErrNotExist)
	if fresh {
		// The app's data is private: create the file 0600 before SQLite
		// creates it (and its journal) with the umask's mode.
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create app database %s: %w", path, err)
		}
		f.Close()
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if fresh {
		if _, err := db.ExecContext(ctx, schema+seed); err != nil {
			db.Close()
			os.Remove(path)
			return nil, fmt.Errorf("create app database %s: %w", path, err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "select count(*) from sqlite_master where name = 'users'").Scan(&n); err != nil || n == 0 {
		db.Close()
		return nil, fmt.Errorf("%s is not an sqlapp database (no users table): %v", path, err)
	}
	return db, nil
}
