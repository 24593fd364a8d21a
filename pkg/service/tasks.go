package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
)

var (
	// ErrCancelled is the cause of a task's context when the control plane
	// cancelled the task; such a task stops and is not finished, as with
	// Baton's client (the control plane is done with it).
	ErrCancelled = errors.New("the control plane cancelled the task")
	// ErrHeartbeatLost is the cause when heartbeats failed ten times in a row.
	ErrHeartbeatLost = errors.New("the task's heartbeats failed ten times in a row")
	// errLeft: the task stopped for this process's shutdown; it is not
	// finished, so the control plane offers it again (a sync resumes).
	errLeft = errors.New("left for the next start")
	// errNoFinish: the task reports its outcome itself (a hello task
	// is answered by the hello).
	errNoFinish = errors.New("finished by its own call")
)

// TaskType is the name of a task's type as the contract spells it
// (sync_full, grant, ...), or "unknown".
func TaskType(t *batonv1.Task) string {
	m := t.ProtoReflect()
	if f := m.WhichOneof(m.Descriptor().Oneofs().ByName("task_type")); f != nil {
		return string(f.Name())
	}
	return "unknown"
}

// process runs one task and reports its outcome.
func (w *Worker) process(ctx context.Context, t *batonv1.Task) {
	defer w.done(t)
	typ := TaskType(t)
	log := w.log.With("task_id", t.GetId(), "task_type", typ)
	start := time.Now()
	log.Info("task started")

	// A sync stops at a checkpoint when the process shuts down and resumes
	// later; anything else is short and runs to its end, so what it did
	// to the app gets reported.
	base := ctx
	if t.GetSyncFull() == nil {
		base = context.WithoutCancel(ctx)
	}
	tctx, cancel := context.WithCancelCause(base)
	defer cancel(nil)
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		w.heartbeatTask(tctx, t, cancel, log)
	}()

	resp, err := w.run(tctx, t, log)
	if cause := context.Cause(tctx); err != nil && (errors.Is(cause, ErrCancelled) || errors.Is(cause, ErrHeartbeatLost)) {
		err = status.Error(codes.Canceled, cause.Error())
	}
	// No heartbeat may follow the finish.
	cancel(nil)
	<-beating
	switch {
	case err != nil && errors.Is(context.Cause(tctx), ErrCancelled):
		// As Baton's client: a task the control plane cancelled is over
		// for it; no finish follows (the control plane offers it to no one).
		w.m.task(typ, "cancelled", time.Since(start))
		log.Info("task stopped: the control plane cancelled it", "duration", time.Since(start).Round(time.Millisecond))
		return
	case errors.Is(err, errNoFinish):
		w.m.task(typ, "ok", time.Since(start))
		log.Info("task done", "duration", time.Since(start).Round(time.Millisecond))
		return
	case ctx.Err() != nil && (errors.Is(err, errLeft) || errors.Is(err, context.Canceled)):
		w.m.task(typ, "left", time.Since(start))
		log.Info("task stopped for shutdown; the control plane offers it again", "duration", time.Since(start).Round(time.Millisecond))
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
		log.Warn("task failed", "error", err, "duration", time.Since(start).Round(time.Millisecond))
	} else {
		log.Info("task done", "duration", time.Since(start).Round(time.Millisecond))
	}
	w.m.task(typ, result, time.Since(start))
	if ferr := w.finish(ctx, t, resp, err); ferr != nil {
		log.Error("could not report the task's outcome", "error", ferr)
	}
}

// run does what the task asks and returns the connector's answer.
func (w *Worker) run(ctx context.Context, t *batonv1.Task, log *slog.Logger) (proto.Message, error) {
	if err := t.Validate(); err != nil {
		return nil, final(status.Errorf(codes.InvalidArgument, "invalid task: %v", err))
	}
	c := w.client
	if changesApp(t) && !w.opts.Provisioning {
		return nil, final(status.Error(codes.FailedPrecondition, "provisioning is not enabled"))
	}
	switch k := t.GetTaskType().(type) {
	case *batonv1.Task_Hello:
		if err := w.hello(ctx, t.GetId()); err != nil {
			return nil, err
		}
		return nil, errNoFinish
	case *batonv1.Task_SyncFull:
		return nil, w.syncTask(ctx, t, log)
	case *batonv1.Task_Grant:
		g := k.Grant
		if g.GetEntitlement() == nil || g.GetPrincipal() == nil {
			return nil, malformed("grant task without entitlement or principal")
		}
		return provisioned(c.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: g.GetEntitlement(), Principal: g.GetPrincipal()}))
	case *batonv1.Task_Revoke:
		if k.Revoke.GetGrant() == nil {
			return nil, malformed("revoke task without a grant")
		}
		return provisioned(c.Revoke(ctx, &connectorv2.GrantManagerServiceRevokeRequest{Grant: k.Revoke.GetGrant()}))
	case *batonv1.Task_CreateAccount:
		a := k.CreateAccount
		if a.GetAccountInfo() == nil {
			return nil, malformed("create account task without account info")
		}
		return provisioned(c.CreateAccount(ctx, &connectorv2.CreateAccountRequest{AccountInfo: a.GetAccountInfo(),
			CredentialOptions: a.GetCredentialOptions(), EncryptionConfigs: a.GetEncryptionConfigs(), ResourceTypeId: a.GetResourceTypeId()}))
	case *batonv1.Task_CreateResource:
		if k.CreateResource.GetResource() == nil {
			return nil, malformed("create resource task without a resource")
		}
		return provisioned(c.CreateResource(ctx, &connectorv2.CreateResourceRequest{Resource: k.CreateResource.GetResource()}))
	case *batonv1.Task_DeleteResource:
		d := k.DeleteResource
		if d.GetResourceId().GetResource() == "" || d.GetResourceId().GetResourceType() == "" {
			return nil, malformed("delete resource task without a resource id")
		}
		return provisioned(c.DeleteResource(ctx, &connectorv2.DeleteResourceRequest{ResourceId: d.GetResourceId(), ParentResourceId: d.GetParentResourceId()}))
	case *batonv1.Task_RotateCredentials:
		r := k.RotateCredentials
		if r.GetResourceId() == nil {
			return nil, malformed("rotate credentials task without a resource id")
		}
		return provisioned(c.RotateCredential(ctx, &connectorv2.RotateCredentialRequest{ResourceId: r.GetResourceId(),
			CredentialOptions: r.GetCredentialOptions(), EncryptionConfigs: r.GetEncryptionConfigs()}))
	case *batonv1.Task_IssueCredential:
		i := k.IssueCredential
		if i.GetIdentityId() == nil {
			return nil, malformed("issue credential task without an identity")
		}
		return provisioned(c.IssueCredential(ctx, &connectorv2.IssueCredentialRequest{IdentityId: i.GetIdentityId(),
			CredentialOptions: i.GetCredentialOptions(), EncryptionConfigs: i.GetEncryptionConfigs(), ExpiresAt: i.GetExpiresAt()}))
	case *batonv1.Task_EventFeed:
		// The original, feed-less form: one page of events since start_at.
		return answer(c.ListEvents(ctx, &connectorv2.ListEventsRequest{StartAt: k.EventFeed.GetStartAt(), Annotations: k.EventFeed.GetAnnotations()}))
	case *batonv1.Task_ListEvents:
		e := k.ListEvents
		return answer(c.ListEvents(ctx, &connectorv2.ListEventsRequest{EventFeedId: e.GetEventFeedId(), StartAt: e.GetStartAt(),
			Cursor: e.GetCursor(), PageSize: e.GetPageSize(), Annotations: e.GetAnnotations()}))
	case *batonv1.Task_ListEventFeeds:
		return answer(c.ListEventFeeds(ctx, &connectorv2.ListEventFeedsRequest{Annotations: k.ListEventFeeds.GetAnnotations()}))
	case *batonv1.Task_CreateTicketTask_:
		ct := k.CreateTicketTask
		return answer(c.CreateTicket(ctx, &connectorv2.TicketsServiceCreateTicketRequest{Request: ct.GetTicketRequest(), Schema: ct.GetTicketSchema(), Annotations: ct.GetAnnotations()}))
	case *batonv1.Task_GetTicket:
		return answer(c.GetTicket(ctx, &connectorv2.TicketsServiceGetTicketRequest{Id: k.GetTicket.GetTicketId(), Annotations: k.GetTicket.GetAnnotations()}))
	case *batonv1.Task_ListTicketSchemas:
		return answer(c.ListTicketSchemas(ctx, &connectorv2.TicketsServiceListTicketSchemasRequest{Annotations: k.ListTicketSchemas.GetAnnotations()}))
	case *batonv1.Task_BulkCreateTickets:
		req := &connectorv2.TicketsServiceBulkCreateTicketsRequest{}
		for _, ct := range k.BulkCreateTickets.GetTicketRequests() {
			req.TicketRequests = append(req.TicketRequests, &connectorv2.TicketsServiceCreateTicketRequest{Request: ct.GetTicketRequest(), Schema: ct.GetTicketSchema(), Annotations: ct.GetAnnotations()})
		}
		return answer(c.BulkCreateTickets(ctx, req))
	case *batonv1.Task_BulkGetTickets:
		req := &connectorv2.TicketsServiceBulkGetTicketsRequest{}
		for _, gt := range k.BulkGetTickets.GetTicketRequests() {
			req.TicketRequests = append(req.TicketRequests, &connectorv2.TicketsServiceGetTicketRequest{Id: gt.GetTicketId(), Annotations: gt.GetAnnotations()})
		}
		return answer(c.BulkGetTickets(ctx, req))
	case *batonv1.Task_ActionListSchemas:
		a := k.ActionListSchemas
		return answer(c.ListActionSchemas(ctx, &connectorv2.ListActionSchemasRequest{ResourceTypeId: a.GetResourceTypeId(), Annotations: a.GetAnnotations()}))
	case *batonv1.Task_ActionGetSchema:
		a := k.ActionGetSchema
		return answer(c.GetActionSchema(ctx, &connectorv2.GetActionSchemaRequest{Name: a.GetName(), Annotations: a.GetAnnotations()}))
	case *batonv1.Task_ActionInvoke:
		a := k.ActionInvoke
		return answer(c.InvokeAction(ctx, &connectorv2.InvokeActionRequest{Name: a.GetName(), Args: a.GetArgs(), ResourceTypeId: a.GetResourceTypeId(), Annotations: a.GetAnnotations()}))
	case *batonv1.Task_ActionStatus:
		a := k.ActionStatus
		return answer(c.GetActionStatus(ctx, &connectorv2.GetActionStatusRequest{Name: a.GetName(), Id: a.GetId(), Annotations: a.GetAnnotations()}))
	case *batonv1.Task_CompactSyncs_:
		return nil, w.compactTask(ctx, t, log)
	case *batonv1.Task_CreateSyncDiff:
		return nil, w.diffTask(ctx, t, log)
	}
	// Anything newer than this contract is unknown.
	return nil, final(status.Errorf(codes.Unimplemented, "batonkit does not run %s tasks", TaskType(t)))
}

// changesApp reports whether t changes the application: the tasks of
// the services Baton registers only with provisioning enabled.
func changesApp(t *batonv1.Task) bool {
	switch t.GetTaskType().(type) {
	case *batonv1.Task_Grant, *batonv1.Task_Revoke, *batonv1.Task_CreateAccount, *batonv1.Task_CreateResource,
		*batonv1.Task_DeleteResource, *batonv1.Task_RotateCredentials, *batonv1.Task_IssueCredential:
		return true
	}
	return false
}

// provisioned is a change to the app: whatever went wrong, running it
// again blindly could repeat half of it, so a failure is final (as in
// Baton's service mode).
func provisioned[T proto.Message](resp T, err error) (proto.Message, error) {
	if err != nil {
		return nil, final(err)
	}
	return resp, nil
}

func answer[T proto.Message](resp T, err error) (proto.Message, error) {
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// finalErr marks a task error the control plane should not retry,
// without changing its message or status.
type finalErr struct{ error }

func (e finalErr) Unwrap() error { return e.error }

func final(err error) error { return finalErr{err} }

func isFinal(err error) bool { return errors.As(err, new(finalErr)) }

// malformed finishes a task that lacks what its type needs as Baton's
// worker does: Unknown, not retried (the code is Baton's; the message says
// what is missing).
func malformed(what string) error {
	return final(status.Error(codes.Unknown, "malformed task: "+what))
}

// finish reports a task's outcome, retrying while the control plane is
// unreachable (the outcome must not be lost; the task already ran).
func (w *Worker) finish(ctx context.Context, t *batonv1.Task, resp proto.Message, taskErr error) error {
	req := &batonv1.BatonServiceFinishTaskRequest{HostId: w.hostID, TaskId: t.GetId()}
	var annos []*anypb.Any
	if a, ok := resp.(interface{ GetAnnotations() []*anypb.Any }); ok {
		annos = a.GetAnnotations()
		if len(annos) > 16 {
			annos = annos[:16]
		}
	}
	if taskErr == nil {
		var packed *anypb.Any
		if resp != nil {
			var err error
			if packed, err = anypb.New(resp); err != nil {
				return fmt.Errorf("pack the task's response: %w", err)
			}
		}
		req.FinalState = &batonv1.BatonServiceFinishTaskRequest_Success_{Success: &batonv1.BatonServiceFinishTaskRequest_Success{Annotations: annos, Response: packed}}
	} else {
		st := statusOf(taskErr)
		req.Status = st.Proto()
		nonRetryable := isFinal(taskErr) || st.Code() == codes.Unimplemented
		req.FinalState = &batonv1.BatonServiceFinishTaskRequest_Error_{Error: &batonv1.BatonServiceFinishTaskRequest_Error{NonRetryable: nonRetryable, Annotations: annos}}
	}
	// The outcome goes out even while this process shuts down.
	fctx := context.WithoutCancel(ctx)
	deadline, cancel := context.WithTimeout(fctx, 2*time.Minute)
	defer cancel()
	return w.retry(deadline, "finish task", func() error {
		call, cancel := context.WithTimeout(deadline, 30*time.Second)
		defer cancel()
		_, err := w.api.FinishTask(call, req, grpc.WaitForReady(true))
		return err
	})
}

// statusOf is the gRPC status a task error is reported with; the message
// keeps the error's context, and the details of a connector's status
// survive.
func statusOf(err error) *status.Status {
	if f, ok := err.(finalErr); ok {
		err = f.error
	}
	st, ok := status.FromError(err)
	switch {
	case ok:
		return st
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, err.Error())
	}
	return status.New(codes.Unknown, err.Error())
}

// heartbeatTask tells the control plane the task still runs, at the pace
// it asks for, until the task ends; a cancellation from the control plane,
// or ten failed heartbeats in a row, cancel the task.
func (w *Worker) heartbeatTask(ctx context.Context, t *batonv1.Task, cancel context.CancelCauseFunc, log *slog.Logger) {
	misses := 0
	every := w.heartbeatEvery()
	// A sync says it is alive at once, as Baton's does, before its long
	// first phase; other tasks are short and beat at the pace asked.
	first := every
	if t.GetSyncFull() != nil {
		first = 0
	}
	for wait := first; sleep(ctx, wait); wait = every {
		resp, err := w.api.Heartbeat(ctx, &batonv1.BatonServiceHeartbeatRequest{HostId: w.hostID, TaskId: t.GetId()})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			misses++
			if transient(err) {
				w.setReady(false)
			}
			log.Warn("heartbeat failed", "error", err, "misses", misses)
			if misses >= maxHeartbeatMisses {
				cancel(ErrHeartbeatLost)
				return
			}
			continue
		}
		misses = 0
		if resp.GetCancelled() || slices.Contains(resp.GetCancelledTaskIds(), t.GetId()) {
			log.Info("the control plane cancelled the task")
			cancel(ErrCancelled)
			return
		}
		every = clampHeartbeat(resp.GetNextHeartbeat().AsDuration())
	}
}
