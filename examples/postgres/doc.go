// Package postgres is a connector for a PostgreSQL server: its roles, who
// is a member of which (nested), the role attributes that matter in an
// audit (superuser, createrole, createdb, replication, bypassrls), and
// the privileges roles hold on databases, schemas and tables, all read
// from the server's own catalog (pg_roles, pg_auth_members, aclexplode of
// datacl, nspacl and relacl, ownership).
//
// It is written only against batonkit's public API, as an author would.
// What it syncs:
//
//   - user: a role that can log in (rolcanlogin), with a user trait; a
//     role whose VALID UNTIL has passed is disabled. role: one that
//     cannot, and PUBLIC (id "public"), which holds what is granted to
//     everyone. Ids are role oids, stable across renames; names are
//     display names.
//   - Both have "member" (and "admin": WITH ADMIN OPTION) entitlements.
//     Membership grants are expandable through the member's own
//     membership, so nested roles are followed by grant expansion.
//   - cluster: one resource whose entitlements are the role attributes.
//     PostgreSQL does not pass attributes on through membership, so those
//     grants are not expandable.
//   - database, schema (children of a database) and table (tables, views,
//     materialized, foreign and partitioned tables; children of a schema):
//     an entitlement per privilege ("select"), per privilege held WITH
//     GRANT OPTION ("select-grant-option"), and "owner". A missing ACL is
//     read as PostgreSQL's default (acldefault). Grants to roles are
//     expandable (members inherit them); grants to PUBLIC are not.
//     Database ids are oids, schema and table ids "<database oid>/<oid>".
//
// What it changes: role membership (GRANT role TO member, REVOKE), object
// privileges with or without grant option, a new login role with a
// generated password (returned encrypted for the requester), a new
// password for a login role, and DROP ROLE. Identifiers are always quoted
// (pgx.Identifier); values are bound parameters; generated passwords use
// an alphabet that needs no escaping. Ownership is not granted: it
// changes with ALTER ... OWNER TO.
//
// Settings: --dsn (a secret: pass it as BATON_DSN), --databases and
// --schemas to narrow what is read. The login needs to read the catalog
// (any role can) and, to change access, the rights PostgreSQL requires
// for each change (CREATEROLE or ADMIN OPTION for membership, the grant
// option or ownership for privileges); see README.md.
package postgres
