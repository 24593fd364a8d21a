#!/usr/bin/python3
"""A Baton connector in Python: a small wiki's users, groups and group
memberships, served over c1.connector.v2 through Baton's child-process
protocol, so any parent runs it:

  baton sync --connector examples/python/connector.py -f wiki.c1z
  baton conformance --connector examples/python/connector.py

Protocol (docs/child-protocol.md): started with the `_connector-service`
argument, one base64 line on stdin holding a c1.connector_wrapper.v1.
ServerConfig (the parent's CA, this child's certificate and key, the port
to serve), a listening socket on fd 3; serve with mutual TLS; exit when
stdin closes. The modules c1.* are generated into gen/ by gen_stubs.sh
(`make python-stubs`), from Debian's python3-grpcio and protobuf-compiler.
"""
import base64, os, sys, threading
from concurrent import futures

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))
import grpc
from google.protobuf import any_pb2
from c1.connector.v2 import connector_pb2 as conn, connector_pb2_grpc as conn_rpc
from c1.connector.v2 import resource_pb2 as res, resource_pb2_grpc as res_rpc
from c1.connector.v2 import entitlement_pb2 as ent, entitlement_pb2_grpc as ent_rpc
from c1.connector.v2 import grant_pb2 as gr, grant_pb2_grpc as gr_rpc
from c1.connector.v2 import annotation_trait_pb2 as trait, annotation_grant_pb2 as agrant
from c1.connector_wrapper.v1 import connector_wrapper_pb2 as wrapper

# --- the app's data ---
USERS = {"ana": ("Ana Silva", "ana@wiki.example"), "bo": ("Bo Chen", "bo@wiki.example"),
         "cy": ("Cy Okafor", "cy@wiki.example"), "di": ("Di Novak", "di@wiki.example")}
GROUPS = {"editors": ("Editors", ["ana", "bo"], []), "admins": ("Admins", ["cy"], ["editors"]),
          "readers": ("Readers", ["di"], ["admins"])}

def packed(msg):
    a = any_pb2.Any()
    a.Pack(msg)
    return a

USER_TYPE = res.ResourceType(id="user", display_name="User", traits=[res.ResourceType.TRAIT_USER],
                             annotations=[packed(trait.UserTrait())])
GROUP_TYPE = res.ResourceType(id="group", display_name="Group", traits=[res.ResourceType.TRAIT_GROUP])

def rid(typ, id):
    return res.ResourceId(resource_type=typ, resource=id)

def user(id):
    name, email = USERS[id]
    t = trait.UserTrait(emails=[trait.UserTrait.Email(address=email, is_primary=True)], login=email,
                        status=trait.UserTrait.Status(status=trait.UserTrait.Status.STATUS_ENABLED),
                        account_type=trait.UserTrait.ACCOUNT_TYPE_HUMAN)
    return res.Resource(id=rid("user", id), display_name=name, annotations=[packed(t)])

def group(id):
    return res.Resource(id=rid("group", id), display_name=GROUPS[id][0], annotations=[packed(trait.GroupTrait())])

def member(id):
    return ent.Entitlement(id=f"group:{id}:member", resource=group(id), display_name=f"{GROUPS[id][0]} member",
                           slug="member", purpose=ent.Entitlement.PURPOSE_VALUE_ASSIGNMENT,
                           grantable_to=[USER_TYPE, GROUP_TYPE])

def page(items, token, size):
    start = int(token or 0)
    end = min(start + (size or 2), len(items))
    return items[start:end], (str(end) if end < len(items) else "")

# --- the services ---
class Connector(conn_rpc.ConnectorServiceServicer):
    def GetMetadata(self, req, ctx):
        caps = conn.ConnectorCapabilities(connector_capabilities=[conn.CAPABILITY_SYNC], resource_type_capabilities=[
            conn.ResourceTypeCapability(resource_type=t, capabilities=[conn.CAPABILITY_SYNC]) for t in (USER_TYPE, GROUP_TYPE)])
        return conn.ConnectorServiceGetMetadataResponse(metadata=conn.ConnectorMetadata(
            display_name="Python wiki", description="Users and groups of a wiki, from Python", capabilities=caps))
    def Validate(self, req, ctx):
        return conn.ConnectorServiceValidateResponse(sdk_version="python-example/0.1.0")
    def Cleanup(self, req, ctx):
        return conn.ConnectorServiceCleanupResponse()

class ResourceTypes(res_rpc.ResourceTypesServiceServicer):
    def ListResourceTypes(self, req, ctx):
        return res.ResourceTypesServiceListResourceTypesResponse(list=[USER_TYPE, GROUP_TYPE])

class Resources(res_rpc.ResourcesServiceServicer):
    def ListResources(self, req, ctx):
        make = {"user": (user, USERS), "group": (group, GROUPS)}.get(req.resource_type_id)
        if make is None:
            ctx.abort(grpc.StatusCode.NOT_FOUND, f"no resource type {req.resource_type_id!r}")
        items, nxt = page(sorted(make[1]), req.page_token, req.page_size)
        return res.ResourcesServiceListResourcesResponse(list=[make[0](i) for i in items], next_page_token=nxt)

class Entitlements(ent_rpc.EntitlementsServiceServicer):
    def ListEntitlements(self, req, ctx):
        r = req.resource.id
        found = r.resource_type == "group" and r.resource in GROUPS
        return ent.EntitlementsServiceListEntitlementsResponse(list=[member(r.resource)] if found else [])
    def ListStaticEntitlements(self, req, ctx):
        return ent.EntitlementsServiceListStaticEntitlementsResponse()

class Grants(gr_rpc.GrantsServiceServicer):
    def ListGrants(self, req, ctx):
        r = req.resource.id
        if r.resource_type != "group" or r.resource not in GROUPS:
            return gr.GrantsServiceListGrantsResponse()
        e = ent.Entitlement(id=f"group:{r.resource}:member", resource=group(r.resource))
        _, users, nested = GROUPS[r.resource]
        grants = [gr.Grant(id=f"{e.id}:user:{u}", entitlement=e, principal=res.Resource(id=rid("user", u))) for u in users]
        grants += [gr.Grant(id=f"{e.id}:group:{g}", entitlement=e, principal=res.Resource(id=rid("group", g)),
                            annotations=[packed(agrant.GrantExpandable(entitlement_ids=[f"group:{g}:member"]))]) for g in nested]
        items, nxt = page(grants, req.page_token, req.page_size)
        return gr.GrantsServiceListGrantsResponse(list=items, next_page_token=nxt)

def pem(kind, der):
    b64 = base64.encodebytes(der).decode().replace("\n", "")
    return ("-----BEGIN %s-----\n%s\n-----END %s-----\n" % (kind, "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)), kind)).encode()

def ed25519_pkcs8(raw):
    # The parent sends an Ed25519 key as seed || public key; PKCS#8 wraps the seed.
    return pem("PRIVATE KEY", bytes.fromhex("302e020100300506032b657004220420") + raw[:32])

def serve_child():
    line = sys.stdin.readline()
    if not line:
        sys.exit("connector.py: no ServerConfig on stdin")
    cfg = wrapper.ServerConfig.FromString(base64.b64decode(line.strip()))
    cred = cfg.credential
    creds = grpc.ssl_server_credentials([(ed25519_pkcs8(cred.key), pem("CERTIFICATE", cred.cert))],
                                        root_certificates=pem("CERTIFICATE", cred.ca_cert), require_client_auth=True)
    # grpcio binds by address, not by descriptor: release the inherited
    # socket and bind its port, as the parent announced it.
    try:
        os.close(int(os.environ.get("BATON_CONNECTOR_SERVICE_LISTENER_FD", "3")))
    except OSError:
        pass
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    conn_rpc.add_ConnectorServiceServicer_to_server(Connector(), server)
    res_rpc.add_ResourceTypesServiceServicer_to_server(ResourceTypes(), server)
    res_rpc.add_ResourcesServiceServicer_to_server(Resources(), server)
    ent_rpc.add_EntitlementsServiceServicer_to_server(Entitlements(), server)
    gr_rpc.add_GrantsServiceServicer_to_server(Grants(), server)
    if server.add_secure_port(f"127.0.0.1:{cfg.listen_port}", creds) == 0:
        sys.exit(f"connector.py: cannot bind 127.0.0.1:{cfg.listen_port}")
    server.start()
    sys.stdin.read()  # the parent closes stdin to stop us
    server.stop(grace=2).wait()

if __name__ == "__main__":
    if "_connector-service" not in sys.argv:
        sys.exit("usage: run through a parent, e.g. baton sync --connector " + sys.argv[0])
    serve_child()
