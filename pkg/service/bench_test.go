package service_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/batonkit/batonkit/examples/synthetic"
	"github.com/batonkit/batonkit/internal/controlplanetest"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/service"
)

// BenchmarkNoopTasks measures the task loop itself: grants a connector
// answers at once, at concurrency 4, through the TLS control plane
// (poll, run, finish per task).
func BenchmarkNoopTasks(b *testing.B) {
	cp := controlplanetest.Start(b)
	cp.NextPoll = 0
	start(b, cp, app{client: contract.NewInProcessClient(&slowGranter{}, nil, nil)}, func(o *service.Options) { o.Concurrency = 4 })
	tasks := make([]*batonv1.Task, b.N)
	for i := range tasks {
		tasks[i] = grantTask(fmt.Sprintf("u%d", i))
	}
	b.ResetTimer()
	began := time.Now()
	for _, id := range cp.Enqueue(tasks...) {
		cp.Wait(b, id)
	}
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "tasks/s")
}

// BenchmarkSyncUploadH100k is one sync task of the H100k shape (100,000
// users, 5,000 groups x 20 members): the sync into the task's file, the
// upload to the control plane, the finish.
func BenchmarkSyncUploadH100k(b *testing.B) {
	cp := controlplanetest.Start(b)
	a := newApp(b, synthetic.New(synthetic.Shape{Users: 100_000, Groups: 5_000, Members: 20}))
	start(b, cp, a, nil)
	var size int
	for b.Loop() {
		st := cp.Wait(b, cp.Enqueue(syncTask())[0])
		wantSuccess(b, st)
		size = len(st.Assets[0])
	}
	b.ReportMetric(float64(size)/1e6, "MB-uploaded")
}
