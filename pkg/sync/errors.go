package sync

import "errors"

// The errors a sync ends with, for errors.Is. Each is wrapped with what
// happened: the phase, the resource, the connector's own error.
var (
	// ErrUnhandledProtocol is returned when a connector used a protocol feature
	// this syncer does not act on and ignoring it would leave data out of the
	// file. WithAllowPartial turns the failure into a counted warning.
	ErrUnhandledProtocol = errors.New("the connector used a sync protocol feature this syncer does not implement; the file would be incomplete (allow a partial sync to continue anyway)")
	// ErrFanout is returned when a connector's sibling cursors (EnqueuePageTokens)
	// repeat a token or exceed the bound.
	ErrFanout = errors.New("invalid page-token fan-out")
	// ErrInterrupted is returned when a sync stops before the end (its context
	// was cancelled, or StopAfter was reached). Its state was checkpointed:
	// running the same kind of sync on the same file resumes it.
	ErrInterrupted = errors.New("sync interrupted; run it again to resume")
	// ErrPageTokenRepeated is returned when a connector answers a page with
	// the token it was given, which would loop forever.
	ErrPageTokenRepeated = errors.New("connector returned the page token it was given")
	// ErrTooManyNotFound is returned when more per-resource calls answered
	// NotFound than the budget allows.
	ErrTooManyNotFound = errors.New("too many resources vanished during the sync")
	// ErrPageTooLarge is returned for a page past WithMaxPageItems.
	ErrPageTooLarge = errors.New("a page holds more objects than allowed")
	// ErrListingTooLong is returned when a listing passes WithMaxPages pages.
	ErrListingTooLong = errors.New("a listing has more pages than allowed; its page tokens may never end")
)
