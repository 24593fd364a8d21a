package connector

import (
	"io"

	"google.golang.org/grpc"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// The AssetService: icons and logos, streamed in chunks.

// assetChunk is the largest Data message the contract allows.
const assetChunk = 1 << 20

// GetAsset implements AssetService: a Metadata message, then the bytes in
// chunks of at most 1 MiB.
func (s *Server) GetAsset(req *connectorv2.AssetServiceGetAssetRequest, stream grpc.ServerStreamingServer[connectorv2.AssetServiceGetAssetResponse]) error {
	ag, ok := s.c.(AssetGetter)
	if !ok {
		return unimplemented("AssetGetter", "")
	}
	ctx := stream.Context()
	ct, body, err := ag.GetAsset(ctx, req.GetAsset())
	if err != nil {
		return toStatus(err)
	}
	defer body.Close()
	if err := stream.Send(&connectorv2.AssetServiceGetAssetResponse{Msg: &connectorv2.AssetServiceGetAssetResponse_Metadata_{
		Metadata: &connectorv2.AssetServiceGetAssetResponse_Metadata{ContentType: ct}}}); err != nil {
		return err
	}
	buf := make([]byte, assetChunk)
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			if err := stream.Send(&connectorv2.AssetServiceGetAssetResponse{Msg: &connectorv2.AssetServiceGetAssetResponse_Data_{
				Data: &connectorv2.AssetServiceGetAssetResponse_Data{Data: append([]byte(nil), buf[:n]...)}}}); err != nil {
				return err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return nil
		}
		if rerr != nil {
			return toStatus(rerr)
		}
	}
}
