'use strict';
// Exercises client.js against a running raftkv cluster:
//
//   RAFTKV_ENDPOINTS=127.0.0.1:9000,127.0.0.1:9001,127.0.0.1:9002 node --test test.js
//
// The endpoints are the nodes' gRPC addresses (Hostname:LogPort in config.json). Keys are
// prefixed with a per-run tag, so the suite may run against a cluster that holds other data.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { KvClient, KvError, Status } = require('./client');

const endpoints = (process.env.RAFTKV_ENDPOINTS || '').split(',').map((e) => e.trim()).filter(Boolean);
if (endpoints.length === 0) {
  throw new Error('RAFTKV_ENDPOINTS is not set: give the cluster\'s gRPC addresses, e.g. 127.0.0.1:9000,127.0.0.1:9001');
}

const run = `node-${process.pid}-${Date.now()}`;
const key = (name) => `${run}-${name}`;
const TIMEOUT = { timeout: 60000 };

const clients = [];
function client(list = endpoints, options = {}) {
  const c = new KvClient(list, { timeoutMs: 20000, ...options });
  clients.push(c);
  return c;
}
after(() => clients.forEach((c) => c.close()));

const kv = client();

/** Asserts that promise rejects with a KvError of the given gRPC status code. */
async function rejectsWith(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof KvError, `expected a KvError, got ${err}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.codeName}: ${err.message}`);
    return true;
  });
}

test('set then get returns the value and its version', TIMEOUT, async () => {
  const { version } = await kv.set(key('greeting'), 'hello');
  assert.equal(typeof version, 'bigint');
  assert.ok(version > 0n);
  const got = await kv.get(key('greeting'));
  assert.equal(got.value.toString('utf8'), 'hello');
  assert.equal(got.version, version);
  // Every node answers, forwarding to the leader where needed.
  for (const e of endpoints) {
    const one = client([e]);
    assert.equal((await one.get(key('greeting'))).value.toString(), 'hello');
  }
});

test('a later write gets a higher version', TIMEOUT, async () => {
  const a = await kv.set(key('versions'), 'one');
  const b = await kv.set(key('versions'), 'two');
  assert.ok(b.version > a.version);
});

test('getMeta shows version, ttl and size', TIMEOUT, async () => {
  const { version } = await kv.set(key('meta'), 'twelve bytes', { ttlSeconds: 300 });
  const meta = await kv.getMeta(key('meta'));
  assert.equal(meta.version, version);
  assert.ok(meta.ttlSeconds === 300n || meta.ttlSeconds === 299n, `ttl ${meta.ttlSeconds}`);
  assert.equal(meta.valueSize, 12n);
  assert.equal(meta.value.toString(), 'twelve bytes');
});

test('cas with a stale version is FAILED_PRECONDITION and writes nothing', TIMEOUT, async () => {
  const first = await kv.set(key('cas'), 'v1');
  const second = await kv.cas(key('cas'), first.version, 'v2');
  assert.ok(second.version > first.version);
  await rejectsWith(kv.cas(key('cas'), first.version, 'stale'), Status.FAILED_PRECONDITION);
  const got = await kv.get(key('cas'));
  assert.equal(got.value.toString(), 'v2');
  assert.equal(got.version, second.version);
});

test('cas of a missing key is NOT_FOUND', TIMEOUT, async () => {
  await rejectsWith(kv.cas(key('cas-missing'), 1n, 'x'), Status.NOT_FOUND);
});

test('get of a missing key is NOT_FOUND', TIMEOUT, async () => {
  await rejectsWith(kv.get(key('missing')), Status.NOT_FOUND);
  await rejectsWith(kv.getMeta(key('missing')), Status.NOT_FOUND);
});

test('delete removes a key; a second delete is NOT_FOUND', TIMEOUT, async () => {
  await kv.set(key('delete'), 'x');
  await kv.delete(key('delete'));
  await rejectsWith(kv.get(key('delete')), Status.NOT_FOUND);
  await rejectsWith(kv.delete(key('delete')), Status.NOT_FOUND);
});

test('binary and empty values round-trip', TIMEOUT, async () => {
  const bytes = Buffer.alloc(256);
  for (let i = 0; i < bytes.length; i++) bytes[i] = i;
  await kv.set(key('binary'), bytes);
  assert.deepEqual((await kv.get(key('binary'))).value, bytes);
  await kv.set(key('empty'), Buffer.alloc(0));
  const empty = await kv.get(key('empty'));
  assert.equal(empty.value.length, 0);
  assert.ok(empty.version > 0n);
});

test('a bad key is INVALID_ARGUMENT', TIMEOUT, async () => {
  await rejectsWith(kv.set('has space', 'x'), Status.INVALID_ARGUMENT);
  await rejectsWith(kv.get(''), Status.INVALID_ARGUMENT);
  await rejectsWith(kv.get('k'.repeat(251)), Status.INVALID_ARGUMENT);
});

test('a retried write with the same request id takes effect once', TIMEOUT, async () => {
  const first = await kv.set(key('once'), 'first');
  const other = await client().set(key('once'), 'another client');
  const retry = await kv.set(key('once'), 'first', { requestId: first.requestId });
  assert.equal(retry.version, first.version, 'the retry returns the first attempt\'s version');
  const got = await kv.get(key('once'));
  assert.equal(got.version, other.version, 'and does not overwrite the later write');
  assert.equal(got.value.toString(), 'another client');
  // Once the client has moved on, the old request id is too old: ABORTED, nothing written.
  await kv.set(key('once-next'), 'next');
  await rejectsWith(kv.set(key('once'), 'first', { requestId: first.requestId }), Status.ABORTED);
  assert.equal((await kv.get(key('once'))).version, other.version);
});

test('every node reports its status, with one leader and one term', TIMEOUT, async () => {
  const statuses = await kv.statusAll();
  for (const s of statuses) assert.ok(!s.error, `${s.endpoint}: ${s.error}`);
  const leaders = statuses.filter((s) => s.role === 'ROLE_LEADER');
  assert.equal(leaders.length, 1, JSON.stringify(statuses));
  assert.equal(new Set(statuses.map((s) => s.term)).size, 1, JSON.stringify(statuses));
  for (const s of statuses) {
    assert.equal(s.peerAddress, s.endpoint);
    assert.ok(s.leaderKnown);
    assert.equal(s.leaderAddress, leaders[0].peerAddress);
  }
  // Responses carry the leader's address in the raftkv-leader trailer.
  await kv.get(key('greeting'));
  assert.equal(kv.leader, leaders[0].peerAddress);
});

test('fails over when an endpoint is down', TIMEOUT, async () => {
  // Nothing listens on port 1: the first attempt is UNAVAILABLE, the next endpoint answers.
  const c = client(['127.0.0.1:1', ...endpoints]);
  const { version } = await c.set(key('failover'), 'still works');
  assert.equal((await c.get(key('failover'))).version, version);
});

test('over TLS, a plaintext client gets nothing', { ...TIMEOUT, skip: !process.env.RAFTKV_CACERT && 'the cluster is plaintext' }, async () => {
  const plain = client([endpoints[0]], { tls: null, timeoutMs: 5000 });
  await rejectsWith(plain.status(endpoints[0]), Status.UNAVAILABLE);
});
