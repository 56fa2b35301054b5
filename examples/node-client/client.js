'use strict';
// A small raftkv client for Node.js, written from proto/src/main/proto/kv.proto and the README
// alone. kv.proto is loaded at run time with @grpc/proto-loader: no generated code, no build step.
//
//   const { KvClient } = require('./client');
//   const kv = new KvClient(['127.0.0.1:9000', '127.0.0.1:9001', '127.0.0.1:9002']);
//   const { version } = await kv.set('greeting', 'hello', { ttlSeconds: 300 });
//   const { value } = await kv.get('greeting');          // a Buffer
//   await kv.cas('greeting', version, 'hello again');    // FAILED_PRECONDITION if it moved on
//   kv.close();
//
// What it does for you:
// - a deadline on every call (requestTimeoutMs of the cluster plus a margin, by default);
// - a request id on every write (a random 64-bit client id, sequences 1, 2, 3, ...), so that a
//   write retried after UNAVAILABLE takes effect exactly once; one write in flight at a time, as
//   kv.proto asks of a client id;
// - failover: on UNAVAILABLE it sends the same request (same request id) to the leader named in
//   the raftkv-leader trailer if there is one, else to the next endpoint.
// Every other error is thrown as a KvError whose `code` is the gRPC status code.
// TLS (the README's "Security"): RAFTKV_CACERT, RAFTKV_CERT and RAFTKV_KEY in the environment,
// or options.tls = { caFile, certFile, keyFile }.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_PATH = path.join(__dirname, '..', '..', 'proto', 'src', 'main', 'proto', 'kv.proto');

// keepCase: false (the default) turns the .proto's snake_case fields into lowerCamelCase in
// JavaScript: ttl_seconds is ttlSeconds, request_id is requestId, expected_version is
// expectedVersion. longs: String gives every uint64 (versions, client ids, ttls) as a decimal
// string, so no 64-bit value loses precision in a JavaScript number; this file turns versions into
// BigInt. bytes fields (keys, values) arrive as Buffers. defaults: true fills in unset fields.
const packageDefinition = protoLoader.loadSync(PROTO_PATH, {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const kvProto = grpc.loadPackageDefinition(packageDefinition).raftkv.kv.v1;

const LEADER_TRAILER = 'raftkv-leader';
const DEFAULT_TIMEOUT_MS = 17000; // the default requestTimeoutMs (15 s) plus two, as kv.proto advises
const FRAMING_BYTES = 64 * 1024;

/** A failed call: `code` is the gRPC status code (grpc.status), `codeName` its name. */
class KvError extends Error {
  constructor(code, details, endpoint, leader) {
    const codeName = Object.keys(grpc.status).find((k) => grpc.status[k] === code) || String(code);
    super(`${codeName}: ${details} (${endpoint})`);
    this.name = 'KvError';
    this.code = code;
    this.codeName = codeName;
    this.details = details;
    this.endpoint = endpoint;
    /** The leader's "host:port" from the raftkv-leader trailer, or null. */
    this.leader = leader;
  }
}

function toBuffer(data, what) {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  throw new TypeError(`${what} must be a string, a Buffer or a Uint8Array`);
}

function randomClientId() {
  for (;;) {
    const id = crypto.randomBytes(8).readBigUInt64BE();
    if (id !== 0n) return id;
  }
}

/**
 * The TLS files named by the environment, as kvctl takes them: RAFTKV_CACERT (the cluster's CA;
 * TLS is on when it is set), RAFTKV_CERT and RAFTKV_KEY (a client certificate and its key).
 */
function tlsFromEnv(env = process.env) {
  if (!env.RAFTKV_CACERT) return null;
  return { caFile: env.RAFTKV_CACERT, certFile: env.RAFTKV_CERT || null, keyFile: env.RAFTKV_KEY || null };
}

function credentials(tls) {
  if (!tls) return grpc.credentials.createInsecure();
  if (!tls.caFile) throw new Error('tls needs caFile, the cluster\'s CA certificate');
  if (!tls.certFile !== !tls.keyFile) throw new Error('tls: certFile and keyFile go together');
  const read = (file) => fs.readFileSync(file);
  return grpc.credentials.createSsl(read(tls.caFile), tls.keyFile ? read(tls.keyFile) : null,
    tls.certFile ? read(tls.certFile) : null);
}

class KvClient {
  /**
   * @param {string[]|string} endpoints gRPC addresses ("host:LogPort"), as an array or "a,b,c"
   * @param {object} [options]
   * @param {number} [options.timeoutMs] deadline of each attempt (default 17000)
   * @param {number} [options.maxValueBytes] the cluster's maxValueBytes, to size the receive limit
   * @param {bigint} [options.clientId] this client's request-id client id (default: random)
   * @param {object} [options.tls] TLS files (README "Security"): { caFile, certFile, keyFile } paths,
   *   certFile and keyFile only for a cluster with clientCertAuth. Default: tlsFromEnv(), plaintext
   *   when RAFTKV_CACERT is not set. The server's certificate must name the endpoint's host.
   */
  constructor(endpoints, options = {}) {
    this.endpoints = (typeof endpoints === 'string' ? endpoints.split(',') : [...endpoints])
      .map((e) => e.trim())
      .filter((e) => e.length > 0);
    if (this.endpoints.length === 0) throw new Error('no endpoints');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxValueBytes = options.maxValueBytes ?? 1024 * 1024;
    this.channelOptions = {
      // Responses carry values up to maxValueBytes plus framing; grpc's 4 MiB default covers 1 MiB.
      'grpc.max_receive_message_length': Math.max(4 * 1024 * 1024, maxValueBytes + FRAMING_BYTES),
      'grpc.max_send_message_length': maxValueBytes + FRAMING_BYTES,
    };
    this.credentials = credentials(options.tls === undefined ? tlsFromEnv() : options.tls);
    this.clientId = options.clientId ?? randomClientId();
    this.sequence = 0n;
    this.current = 0;
    /** The leader's address from the last response that named one. */
    this.leader = null;
    this.stubs = new Map();
    this.writes = Promise.resolve();
  }

  /** A new request id: this client's id and its next sequence. */
  nextRequestId() {
    this.sequence += 1n;
    return { clientId: this.clientId, sequence: this.sequence };
  }

  /** Stores value under key. Resolves to { version, requestId }. */
  set(key, value, { ttlSeconds = 0, requestId } = {}) {
    return this._write(requestId, async (id) => {
      const r = await this._invoke('set', {
        key: toBuffer(key, 'key'),
        value: toBuffer(value, 'value'),
        ttlSeconds: String(ttlSeconds),
        requestId: id,
      });
      return { version: BigInt(r.version) };
    });
  }

  /** Resolves to { value: Buffer, version: bigint }; NOT_FOUND if the key is absent. */
  async get(key) {
    const r = await this._invoke('get', { key: toBuffer(key, 'key') });
    return { value: r.value, version: BigInt(r.version) };
  }

  /** Resolves to { value, version, ttlSeconds, valueSize } (bigints but value). */
  async getMeta(key) {
    const r = await this._invoke('getMeta', { key: toBuffer(key, 'key') });
    return {
      value: r.value,
      version: BigInt(r.version),
      ttlSeconds: BigInt(r.ttlSeconds),
      valueSize: BigInt(r.valueSize),
    };
  }

  /** Replaces the value only if the key's version is expectedVersion. Resolves to { version, requestId }. */
  cas(key, expectedVersion, value, { ttlSeconds = 0, requestId } = {}) {
    return this._write(requestId, async (id) => {
      const r = await this._invoke('cas', {
        key: toBuffer(key, 'key'),
        expectedVersion: String(expectedVersion),
        value: toBuffer(value, 'value'),
        ttlSeconds: String(ttlSeconds),
        requestId: id,
      });
      return { version: BigInt(r.version) };
    });
  }

  /** Removes the key; NOT_FOUND if it does not exist. Resolves to { requestId }. */
  delete(key, { requestId } = {}) {
    return this._write(requestId, async (id) => {
      await this._invoke('delete', { key: toBuffer(key, 'key'), requestId: id });
      return {};
    });
  }

  /** One node's own view (never forwarded, no failover). */
  status(endpoint) {
    return this._once(endpoint, 'status', {});
  }

  /** Every endpoint's status, or { endpoint, error } for one that did not answer. */
  async statusAll() {
    return Promise.all(this.endpoints.map((e) =>
      this.status(e).then((s) => ({ endpoint: e, ...s }), (error) => ({ endpoint: e, error }))));
  }

  close() {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }

  // One write at a time per client id; a caller-given requestId (a retry of an earlier write)
  // is sent as it is, otherwise the next sequence is taken when the write starts.
  _write(requestId, run) {
    const go = async () => {
      const id = requestId ?? this.nextRequestId();
      const result = await run({ clientId: id.clientId.toString(), sequence: id.sequence.toString() });
      return { ...result, requestId: id };
    };
    const result = this.writes.then(go, go);
    this.writes = result.catch(() => {});
    return result;
  }

  // Tries the current endpoint, and on UNAVAILABLE the leader it names or the next endpoint,
  // each at most once more than there are endpoints. The request (and its request id) is the same
  // every time, so a retried write takes effect once.
  async _invoke(method, request) {
    let lastError;
    for (let attempt = 0; attempt <= this.endpoints.length; attempt++) {
      const endpoint = this.endpoints[this.current];
      try {
        return await this._once(endpoint, method, request);
      } catch (err) {
        if (!(err instanceof KvError) || err.code !== grpc.status.UNAVAILABLE) throw err;
        lastError = err;
        this._moveOn(err.leader, endpoint);
      }
    }
    throw lastError;
  }

  _moveOn(leader, failed) {
    if (leader && leader !== failed) {
      if (!this.endpoints.includes(leader)) this.endpoints.push(leader);
      this.current = this.endpoints.indexOf(leader);
    } else {
      this.current = (this.current + 1) % this.endpoints.length;
    }
  }

  _stub(endpoint) {
    let stub = this.stubs.get(endpoint);
    if (!stub) {
      stub = new kvProto.KeyValue(endpoint, this.credentials, this.channelOptions);
      this.stubs.set(endpoint, stub);
    }
    return stub;
  }

  // One call with a deadline. Resolves or rejects once its status (and trailers) arrive.
  _once(endpoint, method, request) {
    return new Promise((resolve, reject) => {
      let error = null;
      let response = null;
      const deadline = new Date(Date.now() + this.timeoutMs);
      const call = this._stub(endpoint)[method](request, new grpc.Metadata(), { deadline }, (err, res) => {
        error = err;
        response = res;
      });
      call.on('status', (status) => {
        const hint = status.metadata ? status.metadata.get(LEADER_TRAILER) : [];
        const leader = hint.length > 0 ? String(hint[0]) : null;
        if (leader) this.leader = leader;
        if (status.code === grpc.status.OK && !error) resolve(response);
        else if (error) reject(new KvError(error.code, error.details, endpoint, leader));
        else reject(new KvError(status.code, status.details, endpoint, leader));
      });
    });
  }
}

module.exports = { KvClient, KvError, Status: grpc.status, PROTO_PATH, tlsFromEnv };
