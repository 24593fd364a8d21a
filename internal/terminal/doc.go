// Package terminal draws a sync's progress live on a terminal: the
// programs that run syncs (the runner, `baton sync`) pass Terminal.Update
// to sync.WithProgress when stderr is a terminal, and write their log
// lines through it so they appear above the live lines. The syncer itself
// only reports progress; how it is shown belongs to the program.
package terminal
