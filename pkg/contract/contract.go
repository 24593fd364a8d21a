package contract

import (
	"google.golang.org/grpc"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// Server is everything a connector serves: the union of the sixteen
// c1.connector.v2 service interfaces. Embed UnimplementedServer to get an
// Unimplemented answer for anything not overridden.
type Server interface {
	connectorv2.ConnectorServiceServer
	connectorv2.ResourceTypesServiceServer
	connectorv2.ResourcesServiceServer
	connectorv2.ResourceGetterServiceServer
	connectorv2.EntitlementsServiceServer
	connectorv2.GrantsServiceServer
	connectorv2.GrantManagerServiceServer
	connectorv2.ResourceManagerServiceServer
	connectorv2.ResourceDeleterServiceServer
	connectorv2.AccountManagerServiceServer
	connectorv2.CredentialManagerServiceServer
	connectorv2.TicketsServiceServer
	connectorv2.EventServiceServer
	connectorv2.ActionServiceServer
	connectorv2.AssetServiceServer
	connectorv2.SchemaServiceServer
}

// UnimplementedServer answers codes.Unimplemented on every method. Embed it
// by value in a Server implementation.
type UnimplementedServer struct {
	connectorv2.UnimplementedConnectorServiceServer
	connectorv2.UnimplementedResourceTypesServiceServer
	connectorv2.UnimplementedResourcesServiceServer
	connectorv2.UnimplementedResourceGetterServiceServer
	connectorv2.UnimplementedEntitlementsServiceServer
	connectorv2.UnimplementedGrantsServiceServer
	connectorv2.UnimplementedGrantManagerServiceServer
	connectorv2.UnimplementedResourceManagerServiceServer
	connectorv2.UnimplementedResourceDeleterServiceServer
	connectorv2.UnimplementedAccountManagerServiceServer
	connectorv2.UnimplementedCredentialManagerServiceServer
	connectorv2.UnimplementedTicketsServiceServer
	connectorv2.UnimplementedEventServiceServer
	connectorv2.UnimplementedActionServiceServer
	connectorv2.UnimplementedAssetServiceServer
	connectorv2.UnimplementedSchemaServiceServer
}

// Register adds all sixteen services of srv to reg (usually a *grpc.Server).
func Register(reg grpc.ServiceRegistrar, srv Server) {
	connectorv2.RegisterConnectorServiceServer(reg, srv)
	connectorv2.RegisterResourceTypesServiceServer(reg, srv)
	connectorv2.RegisterResourcesServiceServer(reg, srv)
	connectorv2.RegisterResourceGetterServiceServer(reg, srv)
	connectorv2.RegisterEntitlementsServiceServer(reg, srv)
	connectorv2.RegisterGrantsServiceServer(reg, srv)
	connectorv2.RegisterGrantManagerServiceServer(reg, srv)
	connectorv2.RegisterResourceManagerServiceServer(reg, srv)
	connectorv2.RegisterResourceDeleterServiceServer(reg, srv)
	connectorv2.RegisterAccountManagerServiceServer(reg, srv)
	connectorv2.RegisterCredentialManagerServiceServer(reg, srv)
	connectorv2.RegisterTicketsServiceServer(reg, srv)
	connectorv2.RegisterEventServiceServer(reg, srv)
	connectorv2.RegisterActionServiceServer(reg, srv)
	connectorv2.RegisterAssetServiceServer(reg, srv)
	connectorv2.RegisterSchemaServiceServer(reg, srv)
}

// Client calls every service of a connector. The syncer, the runner's
// one-shot operations and the CLI all take a Client, so they work the same
// whether the connector runs in this process, over loopback gRPC, or as a
// child process.
type Client interface {
	connectorv2.ConnectorServiceClient
	connectorv2.ResourceTypesServiceClient
	connectorv2.ResourcesServiceClient
	connectorv2.ResourceGetterServiceClient
	connectorv2.EntitlementsServiceClient
	connectorv2.GrantsServiceClient
	connectorv2.GrantManagerServiceClient
	connectorv2.ResourceManagerServiceClient
	connectorv2.ResourceDeleterServiceClient
	connectorv2.AccountManagerServiceClient
	connectorv2.CredentialManagerServiceClient
	connectorv2.TicketsServiceClient
	connectorv2.EventServiceClient
	connectorv2.ActionServiceClient
	connectorv2.AssetServiceClient
	connectorv2.SchemaServiceClient
}

type client struct {
	connectorv2.ConnectorServiceClient
	connectorv2.ResourceTypesServiceClient
	connectorv2.ResourcesServiceClient
	connectorv2.ResourceGetterServiceClient
	connectorv2.EntitlementsServiceClient
	connectorv2.GrantsServiceClient
	connectorv2.GrantManagerServiceClient
	connectorv2.ResourceManagerServiceClient
	connectorv2.ResourceDeleterServiceClient
	connectorv2.AccountManagerServiceClient
	connectorv2.CredentialManagerServiceClient
	connectorv2.TicketsServiceClient
	connectorv2.EventServiceClient
	connectorv2.ActionServiceClient
	connectorv2.AssetServiceClient
	connectorv2.SchemaServiceClient
}

// NewClient returns a Client that sends every call over cc.
func NewClient(cc grpc.ClientConnInterface) Client {
	return &client{
		ConnectorServiceClient:         connectorv2.NewConnectorServiceClient(cc),
		ResourceTypesServiceClient:     connectorv2.NewResourceTypesServiceClient(cc),
		ResourcesServiceClient:         connectorv2.NewResourcesServiceClient(cc),
		ResourceGetterServiceClient:    connectorv2.NewResourceGetterServiceClient(cc),
		EntitlementsServiceClient:      connectorv2.NewEntitlementsServiceClient(cc),
		GrantsServiceClient:            connectorv2.NewGrantsServiceClient(cc),
		GrantManagerServiceClient:      connectorv2.NewGrantManagerServiceClient(cc),
		ResourceManagerServiceClient:   connectorv2.NewResourceManagerServiceClient(cc),
		ResourceDeleterServiceClient:   connectorv2.NewResourceDeleterServiceClient(cc),
		AccountManagerServiceClient:    connectorv2.NewAccountManagerServiceClient(cc),
		CredentialManagerServiceClient: connectorv2.NewCredentialManagerServiceClient(cc),
		TicketsServiceClient:           connectorv2.NewTicketsServiceClient(cc),
		EventServiceClient:             connectorv2.NewEventServiceClient(cc),
		ActionServiceClient:            connectorv2.NewActionServiceClient(cc),
		AssetServiceClient:             connectorv2.NewAssetServiceClient(cc),
		SchemaServiceClient:            connectorv2.NewSchemaServiceClient(cc),
	}
}

// ServiceNames are the full names of the sixteen services, in the order
// Register adds them.
var ServiceNames = []string{
	connectorv2.ConnectorService_ServiceDesc.ServiceName,
	connectorv2.ResourceTypesService_ServiceDesc.ServiceName,
	connectorv2.ResourcesService_ServiceDesc.ServiceName,
	connectorv2.ResourceGetterService_ServiceDesc.ServiceName,
	connectorv2.EntitlementsService_ServiceDesc.ServiceName,
	connectorv2.GrantsService_ServiceDesc.ServiceName,
	connectorv2.GrantManagerService_ServiceDesc.ServiceName,
	connectorv2.ResourceManagerService_ServiceDesc.ServiceName,
	connectorv2.ResourceDeleterService_ServiceDesc.ServiceName,
	connectorv2.AccountManagerService_ServiceDesc.ServiceName,
	connectorv2.CredentialManagerService_ServiceDesc.ServiceName,
	connectorv2.TicketsService_ServiceDesc.ServiceName,
	connectorv2.EventService_ServiceDesc.ServiceName,
	connectorv2.ActionService_ServiceDesc.ServiceName,
	connectorv2.AssetService_ServiceDesc.ServiceName,
	connectorv2.SchemaService_ServiceDesc.ServiceName,
}
