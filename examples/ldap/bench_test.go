package ldap_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/batonkit/batonkit/examples/ldap"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/sync"
)

// BenchmarkSync100kEntries syncs a real slapd holding 100,000 people and
// 5,000 groups of 20 (every tenth nesting the one before), in pages of
// 500 (make bench; figures in BENCHMARKS.md).
func BenchmarkSync100kEntries(b *testing.B) {
	url := startSlapd(b)
	seed(b, url, 100000, 5000)
	ctx := context.Background()
	for b.Loop() {
		c, err := ldap.New(ctx, ldap.Config{URL: url, BaseDN: baseDN, BindDN: adminDN, BindPassword: adminPW, PageSize: 500,
			UserFilter: "(objectClass=inetOrgPerson)", GroupFilter: "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))"})
		if err != nil {
			b.Fatal(err)
		}
		srv, err := connector.NewServer(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		st, err := c1z.Open(ctx, filepath.Join(b.TempDir(), "ldap.c1z"))
		if err != nil {
			b.Fatal(err)
		}
		res, err := sync.New(connector.InProcessClient(srv), st).Run(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Close(ctx); err != nil {
			b.Fatal(err)
		}
		c.Close()
		b.ReportMetric(float64(res.Stats.Resources), "resources")
		b.ReportMetric(float64(res.Stats.Grants), "grants")
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(float64(ru.Maxrss)/1024, "maxRSS-MB")
}
