package runner

import (
	"errors"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/subprocess"
)

type connectorClient = contract.Client

func resourceID(typ, id string) *connectorv2.ResourceId {
	return &connectorv2.ResourceId{ResourceType: typ, Resource: id}
}

var prettyJSON = protojson.MarshalOptions{Multiline: true, Indent: "  "}

// printJSON writes m to standard output as indented JSON.
func (e *environment) printJSON(m proto.Message) error {
	b, err := prettyJSON.Marshal(m)
	if err != nil {
		return err
	}
	_, err = e.io.Out.Write(append(b, '\n'))
	return err
}

func (e *environment) capabilitiesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "capabilities",
		Short: "Print what the connector can do, per resource type, as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := e.load(cmd); err != nil {
				return err
			}
			srv, err := e.server(cmd.Context())
			if err != nil {
				return err
			}
			md, err := connector.InProcessClient(srv).GetMetadata(cmd.Context(), &connectorv2.ConnectorServiceGetMetadataRequest{})
			if err != nil {
				return err
			}
			return e.printJSON(md.GetMetadata().GetCapabilities())
		},
	}
}

func (e *environment) configCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the configuration schema as c1.config.v1.Configuration JSON",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return e.printJSON(e.schema.Proto()) },
	}
}

// serviceCmd is the child side of the child-process protocol.
func (e *environment) serviceCmd() *cobra.Command {
	return &cobra.Command{
		Use:    subprocess.ServiceCommand,
		Short:  "Serve the connector to a parent process (started by the parent, not by hand)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := e.load(cmd); err != nil {
				return err
			}
			var buildErr error
			err := subprocess.Serve(cmd.Context(), e.io.In, e.log, func(env subprocess.Env) *grpc.Server {
				var srv *connector.Server
				if srv, buildErr = e.server(cmd.Context(), connector.WithSessions(env.Sessions)); buildErr != nil {
					return nil
				}
				return connector.NewGRPCServer(srv, env.Options...)
			})
			return errors.Join(buildErr, err)
		},
	}
}
