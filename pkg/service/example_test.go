package service_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/batonkit/batonkit/examples/sqlapp"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/service"
)

// ParseCredentials checks a client id and secret before anything
// connects; the tenant host in the id is where tokens come from.
func ExampleParseCredentials() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)) // ConductorOne generates it
	secret, _ := service.NewSecret(key)
	creds, err := service.ParseCredentials("sqlapp@acme.conductor.one/pcc", secret)
	if err != nil {
		panic(err)
	}
	fmt.Println(creds.Name, creds.TenantHost, creds)
	_, err = service.ParseCredentials("sqlapp", secret)
	fmt.Println(err == service.ErrBadClientID)
	// Output:
	// sqlapp acme.conductor.one client sqlapp@acme.conductor.one/pcc
	// true
}

// New and Run make any connector a service-mode worker; the runner does
// this for --client-id.
func ExampleNew() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := sqlapp.OpenDB(ctx, "sqlapp.db")
	if err != nil {
		panic(err)
	}
	srv, err := connector.NewServer(ctx, sqlapp.New(db))
	if err != nil {
		panic(err)
	}
	w, err := service.New(connector.InProcessClient(srv), service.Options{
		ClientID:     os.Getenv("BATON_CLIENT_ID"),
		ClientSecret: os.Getenv("BATON_CLIENT_SECRET"), // from the environment, never a flag
		Dir:          "/var/lib/baton-sqlapp",
		Concurrency:  4,
		Logger:       slog.Default(),
	})
	if err != nil {
		panic(err)
	}
	if err := w.Run(ctx); err != nil { // until SIGTERM; running tasks end first
		panic(err)
	}
}

// TaskType names a task as the contract spells its kind.
func ExampleTaskType() {
	t := &batonv1.Task{TaskType: &batonv1.Task_RotateCredentials{RotateCredentials: &batonv1.Task_RotateCredentialsTask{}}}
	fmt.Println(service.TaskType(t), service.TaskType(&batonv1.Task{}))
	// Output: rotate_credentials unknown
}
