package postgres_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/batonkit/batonkit/examples/postgres"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/sync"
)

// BenchmarkSync10kRoles syncs a server of 10,000 login roles, each a
// member of one of 100 group roles, and 1,000 tables each granted to two
// of the groups (make bench; figures in BENCHMARKS.md).
func BenchmarkSync10kRoles(b *testing.B) {
	dsn := startPostgres(b)
	run(b, dsn,
		`do $$ begin for i in 1..100 loop execute format('create role g%s nologin', i); end loop; end $$`,
		`do $$ begin for i in 1..10000 loop execute format('create role u%s login in role g%s', i, 1 + i % 100); end loop; end $$`,
		`create database app`)
	run(b, dbDSN(dsn, "app"),
		`do $$ begin for i in 1..1000 loop
			execute format('create table t%s (id int)', i);
			execute format('grant select on t%s to g%s', i, 1 + i % 100);
			execute format('grant insert, update on t%s to g%s', i, 1 + (i + 7) % 100);
		end loop; end $$`)
	ctx := context.Background()
	for b.Loop() {
		c, err := postgres.New(postgres.Config{DSN: dsn})
		if err != nil {
			b.Fatal(err)
		}
		srv, err := connector.NewServer(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		st, err := c1z.Open(ctx, filepath.Join(b.TempDir(), "pg.c1z"))
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
		b.ReportMetric(float64(res.Stats.Grants), "grants")
		b.ReportMetric(float64(res.Stats.Resources), "resources")
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(float64(ru.Maxrss)/1024, "maxRSS-MB")
}
