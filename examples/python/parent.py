#!/usr/bin/python3
"""Run any Baton connector (built with batonkit or Baton's SDK) from Python,
as Baton's parent process does (docs/child-protocol.md), and list its users:

  parent.py ./baton-sqlapp --db sqlapp.db

A fresh Ed25519 CA signs a server and a client certificate for 127.0.0.1;
the connector gets a listening socket, `_connector-service` and a base64
ServerConfig on stdin, serves with mutual TLS, and exits when stdin closes.
"""
import base64, datetime, ipaddress, os, socket, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))  # gen_stubs.sh's output
import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
from c1.connector.v2 import resource_pb2 as res, resource_pb2_grpc as res_rpc
from c1.connector_wrapper.v1 import connector_wrapper_pb2 as wrapper
from c1.utls.v1 import tls_pb2 as utls

def certificate(name, key, issuer_name, issuer_key, ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
         .issuer_name(issuer_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    if not ca:
        b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                         x509.IPAddress(ipaddress.ip_address("::1"))]), critical=False)
    return b.sign(issuer_key, None)

def raw(key):  # Baton sends Ed25519 keys raw: seed, then public key
    return (key.private_bytes(ser.Encoding.Raw, ser.PrivateFormat.Raw, ser.NoEncryption()) +
            key.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw))

def start(argv):
    ca_key, srv_key, cli_key = (ed25519.Ed25519PrivateKey.generate() for _ in range(3))
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "parent.py CA")])
    ca = certificate("parent.py CA", ca_key, ca_name, ca_key, True)
    srv, cli = (certificate(n, k, ca_name, ca_key, False) for n, k in (("server", srv_key), ("client", cli_key)))
    lis = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lis.bind(("127.0.0.1", 0))
    lis.listen(16)
    port = lis.getsockname()[1]
    env = dict(os.environ, BATON_CONNECTOR_SERVICE_LISTENER_FD=str(lis.fileno()))
    child = subprocess.Popen(argv + ["_connector-service"], stdin=subprocess.PIPE, pass_fds=[lis.fileno()], env=env)
    lis.close()  # the child has it now
    der = lambda c: c.public_bytes(ser.Encoding.DER)
    cfg = wrapper.ServerConfig(credential=utls.Credential(ca_cert=der(ca), key=raw(srv_key), cert=der(srv)), listen_port=port)
    child.stdin.write(base64.b64encode(cfg.SerializeToString()) + b"\n")
    child.stdin.flush()  # stdin stays open: closing it stops the child
    pem = lambda c: c.public_bytes(ser.Encoding.PEM)
    creds = grpc.ssl_channel_credentials(root_certificates=pem(ca), certificate_chain=pem(cli),
                                         private_key=cli_key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()))
    ch = grpc.secure_channel(f"127.0.0.1:{port}", creds)
    grpc.channel_ready_future(ch).result(timeout=30)
    return child, ch

def stop(child, ch):
    ch.close()
    child.stdin.close()
    try:
        return child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait()

if __name__ == "__main__":
    child, ch = start(sys.argv[1:])
    try:
        req = res.ResourcesServiceListResourcesRequest(resource_type_id="user")
        for u in res_rpc.ResourcesServiceStub(ch).ListResources(req).list:
            print(u.id.resource, u.display_name, sep="\t")
    finally:
        sys.exit(stop(child, ch))
