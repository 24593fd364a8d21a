package cli

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/batonkit/batonkit/pkg/session"
	"github.com/batonkit/batonkit/pkg/subprocess"
)

// childFlags are how baton sync and baton conformance start a connector:
// what of this environment it sees, and how long one call may take.
type childFlags struct {
	callTimeout time.Duration
	passEnv     []string
	sessionMax  int64
}

// childHelp is the part of --help that says what a child receives.
const childHelp = "\n\nThe connector receives its own BATON_* settings (not service mode's\n" +
	"BATON_CLIENT_ID/SECRET), PATH, HOME, locale, proxy and CA variables, and what\n" +
	"--env names; nothing else of this environment (cloud keys stay here). Each call\n" +
	"to it must be answered within --call-timeout."

func (c *childFlags) bind(fs *pflag.FlagSet) {
	fs.DurationVar(&c.callTimeout, "call-timeout", subprocess.DefaultCallTimeout, "the longest the connector may take to answer one call")
	fs.StringArrayVar(&c.passEnv, "env", nil, "also pass this environment variable (by NAME) to the connector; repeatable")
	fs.Int64Var(&c.sessionMax, "session-store-maximum-size", session.DefaultMaxSize, "the most bytes the connector may keep in its session store")
}

// sessions is the session store served to the connector.
func (c *childFlags) sessions() *session.Server {
	return session.NewServer(session.WithMaxSize(c.sessionMax))
}

// options fills the start options the flags decide.
func (c *childFlags) options(o subprocess.Options) subprocess.Options {
	o.CallTimeout, o.PassEnv = c.callTimeout, c.passEnv
	return o
}
