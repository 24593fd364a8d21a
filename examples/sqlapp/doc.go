// Package sqlapp is a complete connector for an application that has no
// API, only a database: the common case of in-house and on-prem software.
// It reads users, nested groups, roles and their assignments straight from
// a SQLite database, and can change them back: grant and revoke group
// membership and roles, create and delete accounts, rotate passwords.
//
// Built with pkg/connector and pkg/runner exactly as a third-party
// connector would be; cmd/baton-sqlapp is its main. Open creates and seeds
// a small, realistic organisation when the database file does not exist.
package sqlapp
