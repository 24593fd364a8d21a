package connectortest

import (
	"context"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/contract"
)

type options struct {
	provisioning bool
	grantable    func(e *connectorv2.Entitlement, principal *connectorv2.Resource) bool
	maxPages     int
	pageSizes    []int
	only         []string
	restart      func(ctx context.Context) (contract.Client, func(), error)
	sample       int
}

func defaults() options {
	return options{maxPages: 10000, pageSizes: []int{1, 2}, sample: 20}
}

// Option configures Check and Run.
type Option func(*options)

// WithProvisioning adds the provisioning check: one grantable entitlement
// is granted to a principal that lacks it, granted again, revoked and
// revoked again. Only for test instances.
func WithProvisioning() Option { return func(o *options) { o.provisioning = true } }

// WithProvisioningFilter narrows the entitlement and principal the
// provisioning check picks (in id order, never the entitlement's own
// resource as its principal) to those keep accepts: an app may
// refuse some pairs its entitlements' grantable_to cannot express (a
// built-in role that cannot be anyone's member). It implies
// WithProvisioning.
func WithProvisioningFilter(keep func(e *connectorv2.Entitlement, principal *connectorv2.Resource) bool) Option {
	return func(o *options) { o.provisioning, o.grantable = true, keep }
}

// WithMaxPages bounds every listing (default 10000 pages) so a connector
// that never ends paging fails instead of hanging.
func WithMaxPages(n int) Option { return func(o *options) { o.maxPages = n } }

// WithPageSizes sets the page sizes every listing is walked at again, to
// compare with the walk at the connector's default size (default 1 and 2:
// small test data then reaches page 2 and beyond, where paging bugs live).
// WithPageSizes() with no sizes skips the page-size check.
func WithPageSizes(sizes ...int) Option { return func(o *options) { o.pageSizes = sizes } }

// WithChecks runs only the checks with these ids (see Checks), and what
// they need read first.
func WithChecks(ids ...string) Option { return func(o *options) { o.only = ids } }

// WithRestart gives the restart check a second, fresh instance of the
// connector (a new process), and a func that stops it. Without it the
// check is skipped: in process there is no new process to start.
func WithRestart(start func(ctx context.Context) (contract.Client, func(), error)) Option {
	return func(o *options) { o.restart = start }
}
