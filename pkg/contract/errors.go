package contract

import "errors"

// ErrNoAnswer is wrapped by the error of a call the connector did not
// answer within the caller's bound on one call (a hung child, say).
// Repeating such a call would only wait as long again, so the syncer does
// not retry it, as it retries a DeadlineExceeded the connector reports.
var ErrNoAnswer = errors.New("the connector did not answer in time")
