#!/usr/bin/python3
"""Call a served batonkit connector (baton-<app> serve) from Python.

  client.py ADDR users                       each user and the entitlements it holds
  client.py ADDR grant ENTITLEMENT USER_ID   e.g. role:admin:assigned u2
  client.py ADDR revoke ENTITLEMENT USER_ID

ADDR is unix:///path.sock or host:port. Over TCP the connection is TLS,
trusting the CA file in BATON_SERVE_CA; BATON_SERVE_TOKEN, when set, is sent
as the bearer token. The modules c1.connector.v2.* are generated from
batonkit's proto/ into gen/ by gen_stubs.sh (make python-stubs).
"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))  # gen_stubs.sh's output
import grpc
from c1.connector.v2 import resource_pb2 as res, resource_pb2_grpc as res_rpc
from c1.connector.v2 import grant_pb2 as gr, grant_pb2_grpc as gr_rpc, entitlement_pb2 as ent

class NotAllowed(Exception): """The server refused the caller or the operation."""
class NotFound(Exception): """The connector has no such object."""
class ConnectorError(Exception): """Any other failure, with the server's message."""

def call(fn, request):
    try:
        return fn(request, metadata=[("authorization", "Bearer " + os.environ["BATON_SERVE_TOKEN"])] if os.environ.get("BATON_SERVE_TOKEN") else None)
    except grpc.RpcError as e:
        kind = {grpc.StatusCode.UNAUTHENTICATED: NotAllowed, grpc.StatusCode.PERMISSION_DENIED: NotAllowed,
                grpc.StatusCode.FAILED_PRECONDITION: NotAllowed, grpc.StatusCode.NOT_FOUND: NotFound}.get(e.code(), ConnectorError)
        raise kind(f"{e.code().name}: {e.details()}") from None

def channel(addr):
    if addr.startswith("unix://"):
        return grpc.insecure_channel(addr)
    ca = open(os.environ["BATON_SERVE_CA"], "rb").read() if os.environ.get("BATON_SERVE_CA") else None
    return grpc.secure_channel(addr, grpc.ssl_channel_credentials(root_certificates=ca))

def listing(fn, new):
    token = ""
    while True:
        resp = call(fn, new(token))
        yield from resp.list
        if not (token := resp.next_page_token):
            return

def users(ch):
    rs, gs = res_rpc.ResourcesServiceStub(ch), gr_rpc.GrantsServiceStub(ch)
    held = {}
    for rt in listing(res_rpc.ResourceTypesServiceStub(ch).ListResourceTypes, lambda t: res.ResourceTypesServiceListResourceTypesRequest(page_token=t)):
        for r in listing(rs.ListResources, lambda t: res.ResourcesServiceListResourcesRequest(resource_type_id=rt.id, page_token=t)):
            for g in listing(gs.ListGrants, lambda t: gr.GrantsServiceListGrantsRequest(resource=r, page_token=t)):
                held.setdefault((g.principal.id.resource_type, g.principal.id.resource), []).append(g.entitlement.id)
    for u in listing(rs.ListResources, lambda t: res.ResourcesServiceListResourcesRequest(resource_type_id="user", page_token=t)):
        yield u, sorted(held.get(("user", u.id.resource), []))

def change(ch, verb, entitlement_id, user_id):
    rtype, rid, _ = entitlement_id.split(":", 2)
    e = ent.Entitlement(id=entitlement_id, resource=res.Resource(id=res.ResourceId(resource_type=rtype, resource=rid)))
    p = res.Resource(id=res.ResourceId(resource_type="user", resource=user_id))
    stub = gr_rpc.GrantManagerServiceStub(ch)
    if verb == "grant":
        return call(stub.Grant, gr.GrantManagerServiceGrantRequest(entitlement=e, principal=p))
    g = gr.Grant(id=f"{entitlement_id}:user:{user_id}", entitlement=e, principal=p)
    return call(stub.Revoke, gr.GrantManagerServiceRevokeRequest(grant=g))

if __name__ == "__main__":
    addr, verb, *rest = sys.argv[1:]
    try:
        with channel(addr) as ch:
            if verb == "users":
                for u, ents in users(ch):
                    print(u.id.resource, u.display_name, " ".join(ents), sep="\t")
            else:
                change(ch, verb, *rest)
                print(verb, "done")
    except (NotAllowed, NotFound, ConnectorError) as e:
        sys.exit(f"client.py: {type(e).__name__}: {e}")
