#!/usr/bin/env node
// A Baton connector in Node.js: a small HR app (people and teams) served
// over c1.connector.v2, with the contract loaded at run time from
// batonkit's proto/ directory. It speaks Baton's child-process protocol,
// so any parent can run it:
//
//   baton sync --connector examples/node/connector.js -f hr.c1z
//
// Protocol (see pkg/subprocess): run with the `_connector-service`
// argument, a listening socket on fd 3, and one base64 line on stdin
// holding a c1.connector_wrapper.v1.ServerConfig; serve every service with
// mutual TLS; exit when stdin closes.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const readline = require('readline');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const root = path.resolve(__dirname, '..', '..');
const includeDirs = [path.join(root, 'proto'), path.join(root, 'third_party', 'proto')];
const files = [
  'c1/connector/v2/connector.proto',
  'c1/connector/v2/resource.proto',
  'c1/connector/v2/entitlement.proto',
  'c1/connector/v2/grant.proto',
  'c1/connector/v2/annotation_trait.proto',
  'c1/connector/v2/annotation_resource_tree.proto',
  'c1/connector/v2/annotation_grant.proto',
  'c1/connector_wrapper/v1/connector_wrapper.proto',
];

// The services, for grpc-js.
const packageDef = protoLoader.loadSync(files, {
  includeDirs, keepCase: true, longs: String, enums: String, defaults: false, oneofs: true,
});
const v2 = grpc.loadPackageDefinition(packageDef).c1.connector.v2;

// The message types, for encoding annotations and decoding the config.
const types = new protobuf.Root();
types.resolvePath = (_origin, target) => {
  for (const dir of includeDirs) {
    const p = path.join(dir, target);
    if (fs.existsSync(p)) return p;
  }
  return target; // google/protobuf/*: protobufjs has them built in
};
types.loadSync(files, { keepCase: true });

function pack(typeName, value) {
  const t = types.lookupType(typeName);
  return { type_url: 'type.googleapis.com/' + typeName, value: Buffer.from(t.encode(t.fromObject(value)).finish()) };
}

// --- the app's data ---
const people = [
  { id: 'p1', name: 'Ada', email: 'ada@example.com' },
  { id: 'p2', name: 'Brian', email: 'brian@example.com' },
  { id: 'p3', name: 'Chidi', email: 'chidi@example.com' },
  { id: 'p4', name: 'Dana', email: 'dana@example.com' },
  { id: 'p5', name: 'Eitan', email: 'eitan@example.com' },
];
const teams = [
  { id: 'web', name: 'Web', members: ['p1', 'p2'] },
  { id: 'infra', name: 'Infrastructure', members: ['p3'], nested: ['web'] },
  { id: 'all', name: 'Everyone', members: ['p4', 'p5'], nested: ['infra'] },
];

const personType = { id: 'person', display_name: 'Person', traits: ['TRAIT_USER'],
  annotations: [pack('c1.connector.v2.SkipEntitlementsAndGrants', {})] };
const teamType = { id: 'team', display_name: 'Team', traits: ['TRAIT_GROUP'] };

function personResource(p) {
  return {
    id: { resource_type: 'person', resource: p.id }, display_name: p.name,
    annotations: [pack('c1.connector.v2.UserTrait', {
      emails: [{ address: p.email, is_primary: true }], login: p.email,
      status: { status: 1 }, account_type: 1,
    })],
  };
}
function teamResource(t) {
  return { id: { resource_type: 'team', resource: t.id }, display_name: t.name,
    annotations: [pack('c1.connector.v2.GroupTrait', {})] };
}
function member(t) {
  return { resource: teamResource(t), id: `team:${t.id}:member`, slug: 'member',
    display_name: `${t.name} member`, purpose: 'PURPOSE_VALUE_ASSIGNMENT', grantable_to: [personType, teamType] };
}

// pageOf pages an array with a numeric offset token.
function pageOf(items, token, size) {
  const from = token ? parseInt(token, 10) : 0;
  const n = size > 0 ? size : 2;
  const to = Math.min(from + n, items.length);
  return { list: items.slice(from, to), next: to < items.length ? String(to) : '' };
}

const unary = (fn) => (call, cb) => {
  try { cb(null, fn(call.request)); } catch (e) { cb({ code: grpc.status.INTERNAL, message: String(e) }); }
};

function addServices(server) {
  server.addService(v2.ConnectorService.service, {
    GetMetadata: unary(() => ({ metadata: { display_name: 'Node HR', description: 'People and teams, from Node.js',
      capabilities: { connector_capabilities: ['CAPABILITY_SYNC'], resource_type_capabilities: [
        { resource_type: personType, capabilities: ['CAPABILITY_SYNC'] },
        { resource_type: teamType, capabilities: ['CAPABILITY_SYNC'] }] } } })),
    Validate: unary(() => ({ sdk_version: 'node-example/0.1.0' })),
    Cleanup: unary(() => ({})),
  });
  server.addService(v2.ResourceTypesService.service, {
    ListResourceTypes: unary(() => ({ list: [personType, teamType] })),
  });
  server.addService(v2.ResourcesService.service, {
    ListResources: unary((req) => {
      const all = req.resource_type_id === 'person' ? people.map(personResource)
        : req.resource_type_id === 'team' ? teams.map(teamResource) : null;
      if (all === null) throw new Error(`unknown resource type ${req.resource_type_id}`);
      const p = pageOf(all, req.page_token, req.page_size);
      return { list: p.list, next_page_token: p.next };
    }),
  });
  server.addService(v2.EntitlementsService.service, {
    ListEntitlements: unary((req) => {
      const t = teams.find((x) => x.id === req.resource.id.resource);
      return { list: t ? [member(t)] : [] };
    }),
    ListStaticEntitlements: unary(() => ({ list: [] })),
  });
  server.addService(v2.GrantsService.service, {
    ListGrants: unary((req) => {
      const t = teams.find((x) => x.id === req.resource.id.resource);
      if (!t) return { list: [] };
      const ent = { resource: teamResource(t), id: `team:${t.id}:member` };
      const grants = t.members.map((pid) => ({ entitlement: ent, principal: { id: { resource_type: 'person', resource: pid } },
        id: `team:${t.id}:member:person:${pid}` }));
      for (const sub of t.nested || []) {
        grants.push({ entitlement: ent, principal: { id: { resource_type: 'team', resource: sub } },
          id: `team:${t.id}:member:team:${sub}`,
          annotations: [pack('c1.connector.v2.GrantExpandable', { entitlement_ids: [`team:${sub}:member`] })] });
      }
      const p = pageOf(grants, req.page_token, req.page_size);
      return { list: p.list, next_page_token: p.next };
    }),
  });
}

// PEM helpers: the parent sends DER certificates and a raw ed25519 key.
function certPEM(der) {
  const b64 = Buffer.from(der).toString('base64').match(/.{1,64}/g).join('\n');
  return Buffer.from(`-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`);
}
function keyPEM(raw) {
  const key = Buffer.from(raw);
  const jwk = { kty: 'OKP', crv: 'Ed25519', d: key.subarray(0, 32).toString('base64url'), x: key.subarray(32).toString('base64url') };
  return Buffer.from(crypto.createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }));
}

function serveChild() {
  const rl = readline.createInterface({ input: process.stdin });
  let started = false;
  rl.on('line', (line) => {
    if (started) return;
    started = true;
    const ServerConfig = types.lookupType('c1.connector_wrapper.v1.ServerConfig');
    const cfg = ServerConfig.decode(Buffer.from(line.trim(), 'base64'));
    const cred = cfg.credential;
    const creds = grpc.ServerCredentials.createSsl(certPEM(cred.ca_cert),
      [{ private_key: keyPEM(cred.key), cert_chain: certPEM(cred.cert) }], true);
    // grpc-js binds by address, not by descriptor: release the inherited
    // socket and bind its port.
    const fd = parseInt(process.env.BATON_CONNECTOR_SERVICE_LISTENER_FD || '3', 10);
    try { fs.closeSync(fd); } catch (_) { /* already closed */ }
    const server = new grpc.Server();
    addServices(server);
    server.bindAsync(`127.0.0.1:${cfg.listen_port}`, creds, (err) => {
      if (err) { console.error('node connector: bind:', err.message); process.exit(1); }
    });
    rl.on('close', () => server.tryShutdown(() => process.exit(0)));
  });
  rl.on('close', () => { if (!started) process.exit(1); });
}

if (process.argv.includes('_connector-service')) {
  serveChild();
} else {
  console.error('usage: run through a parent, e.g. baton sync --connector ' + path.relative(process.cwd(), __filename));
  process.exit(2);
}
