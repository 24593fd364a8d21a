// Package safetext makes text that comes from outside (an app's error
// body, an S3 error, a connector's messages and stderr, names in a sync
// file) safe to show on a terminal, in a log line or on a health page.
//
// Every place batonkit shows such text goes through it, in the CLI as in
// the connector runner, so there is one rule:
//
//   - Escape shows control characters (C0, DEL, C1) and format characters
//     that reorder or hide text (bidi overrides, zero-width) as \xNN or
//     \uNNNN instead of letting them act on the terminal.
//   - Redact hides values that look like credentials (password: x,
//     api_key=x, "token": "x", Bearer x).
//   - Clip bounds the length, saying how much was cut.
//   - Error does all three to an error message; LineWriter escapes a
//     stream (a child's stderr) line by line.
package safetext
