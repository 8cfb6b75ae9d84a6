// The heartbeat packet: a small binary frame signed with the authkeys key.
//
// Layout (big-endian):
//   "VGHB" | version u8 | keyIndex u8 | nodeLen u8 | node | clusterLen u8 | cluster
//   | generation u64 | seq u64 | payloadLen u16 | payload (JSON, UTF-8) | mac
// The mac covers every byte before it. Its length follows from the method of the key named by
// keyIndex, so a packet must end exactly where its mac does.
import { createHmac, timingSafeEqual } from "node:crypto";
import { crc32 } from "node:zlib";
import type { AuthKeys, AuthMethod } from "../config/schemas.js";

export const PACKET_MAGIC = "VGHB";
export const PACKET_VERSION = 1;
export const MAX_NAME_BYTES = 64;
export const MAX_PAYLOAD_BYTES = 1024;

export interface HeartbeatPacket {
  node: string;
  cluster: string;
  /** Bumped at every agent start; a higher generation means the peer restarted. */
  generation: number;
  /** Counts packets within one generation, from 1. */
  seq: number;
  /** The authkeys index (`auth N`) whose key signed the packet. */
  keyIndex: number;
  payload: unknown;
}

export type DropReason = "malformed" | "version" | "unknown-key" | "crc-refused" | "auth";

export type DecodeResult = { ok: true; packet: HeartbeatPacket } | { ok: false; reason: DropReason };

export type EncodeError =
  | "unknown-key"
  | "crc-refused"
  | "name-invalid"
  | "number-invalid"
  | "payload-invalid"
  | "payload-too-large";

export type EncodeResult = { ok: true; bytes: Buffer } | { ok: false; reason: EncodeError };

export interface CodecOptions {
  /** heartbeat's `crc` method is no authentication at all; it is accepted only when the operator says so. */
  allowCrc?: boolean;
}

const MAC_BYTES: Record<AuthMethod, number> = { sha256: 32, sha1: 20, md5: 16, crc: 4 };
const HEADER_BYTES = 4 + 1 + 1; // magic, version, keyIndex
const utf8 = new TextDecoder("utf-8", { fatal: true });

function mac(method: AuthMethod, key: string, data: Uint8Array): Buffer {
  if (method === "crc") {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(crc32(data) >>> 0);
    return out;
  }
  return createHmac(method, key).update(data).digest();
}

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;

/** Encodes and signs a packet with the active key (`auth N`). */
export function encodePacket(
  p: Omit<HeartbeatPacket, "keyIndex">,
  auth: Pick<AuthKeys, "active" | "keys">,
  opts: CodecOptions = {},
): EncodeResult {
  const key = auth.keys[String(auth.active)];
  if (!key) return { ok: false, reason: "unknown-key" };
  if (key.method === "crc" && !opts.allowCrc) return { ok: false, reason: "crc-refused" };
  const node = Buffer.from(p.node, "utf8");
  const cluster = Buffer.from(p.cluster, "utf8");
  if (node.length < 1 || node.length > MAX_NAME_BYTES || cluster.length < 1 || cluster.length > MAX_NAME_BYTES) {
    return { ok: false, reason: "name-invalid" };
  }
  if (!isCount(p.generation) || !isCount(p.seq)) return { ok: false, reason: "number-invalid" };
  let json: string | undefined;
  try {
    json = JSON.stringify(p.payload ?? null);
  } catch {
    return { ok: false, reason: "payload-invalid" };
  }
  if (json === undefined) return { ok: false, reason: "payload-invalid" };
  const payload = Buffer.from(json, "utf8");
  if (payload.length > MAX_PAYLOAD_BYTES) return { ok: false, reason: "payload-too-large" };

  const bodyLen = HEADER_BYTES + 1 + node.length + 1 + cluster.length + 8 + 8 + 2 + payload.length;
  const out = Buffer.alloc(bodyLen + MAC_BYTES[key.method]);
  let o = out.write(PACKET_MAGIC, 0, "latin1");
  o = out.writeUInt8(PACKET_VERSION, o);
  o = out.writeUInt8(auth.active, o);
  o = out.writeUInt8(node.length, o);
  o += node.copy(out, o);
  o = out.writeUInt8(cluster.length, o);
  o += cluster.copy(out, o);
  o = out.writeBigUInt64BE(BigInt(p.generation), o);
  o = out.writeBigUInt64BE(BigInt(p.seq), o);
  o = out.writeUInt16BE(payload.length, o);
  o += payload.copy(out, o);
  mac(key.method, key.key, out.subarray(0, bodyLen)).copy(out, bodyLen);
  return { ok: true, bytes: out };
}

/** A cursor that reports running off the end instead of throwing. */
class Reader {
  o = 0;
  constructor(private readonly b: Buffer) {}
  has(n: number): boolean {
    return this.o + n <= this.b.length;
  }
  u8(): number | undefined {
    if (!this.has(1)) return undefined;
    return this.b[this.o++];
  }
  u16(): number | undefined {
    if (!this.has(2)) return undefined;
    const v = this.b.readUInt16BE(this.o);
    this.o += 2;
    return v;
  }
  u64(): number | undefined {
    if (!this.has(8)) return undefined;
    const v = this.b.readBigUInt64BE(this.o);
    this.o += 8;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
  }
  bytes(n: number): Buffer | undefined {
    if (!this.has(n)) return undefined;
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
}

function text(b: Buffer | undefined): string | undefined {
  if (!b) return undefined;
  try {
    return utf8.decode(b);
  } catch {
    return undefined;
  }
}

/** The sender and cluster a packet claims, read WITHOUT checking its mac: only to say whose packets
 *  are dropped for a bad key (peer-rejections.ts), never to act on. Undefined when unreadable. */
export function peekSender(buf: Uint8Array): { node: string; cluster: string } | undefined {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < HEADER_BYTES || b.toString("latin1", 0, 4) !== PACKET_MAGIC) return undefined;
  const r = new Reader(b);
  r.o = HEADER_BYTES;
  const nodeLen = r.u8();
  if (nodeLen === undefined || nodeLen < 1 || nodeLen > MAX_NAME_BYTES) return undefined;
  const node = text(r.bytes(nodeLen));
  const clusterLen = r.u8();
  if (node === undefined || clusterLen === undefined || clusterLen < 1 || clusterLen > MAX_NAME_BYTES) return undefined;
  const cluster = text(r.bytes(clusterLen));
  return cluster === undefined ? undefined : { node, cluster };
}

/** Checks and decodes a packet. Never throws: anything wrong is a drop reason. */
export function decodePacket(buf: Uint8Array, auth: Pick<AuthKeys, "keys">, opts: CodecOptions = {}): DecodeResult {
  try {
    return decode(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), auth, opts);
  } catch {
    return { ok: false, reason: "malformed" }; // defence in depth; decode() is written not to throw
  }
}

function decode(b: Buffer, auth: Pick<AuthKeys, "keys">, opts: CodecOptions): DecodeResult {
  const malformed = { ok: false, reason: "malformed" } as const;
  if (b.length < HEADER_BYTES || b.toString("latin1", 0, 4) !== PACKET_MAGIC) return malformed;
  const r = new Reader(b);
  r.o = 4;
  if (r.u8() !== PACKET_VERSION) return { ok: false, reason: "version" };
  const keyIndex = r.u8()!;
  const nodeLen = r.u8();
  if (nodeLen === undefined || nodeLen < 1 || nodeLen > MAX_NAME_BYTES) return malformed;
  const node = text(r.bytes(nodeLen));
  const clusterLen = r.u8();
  if (node === undefined || clusterLen === undefined || clusterLen < 1 || clusterLen > MAX_NAME_BYTES) return malformed;
  const cluster = text(r.bytes(clusterLen));
  const generation = r.u64();
  const seq = r.u64();
  const payloadLen = r.u16();
  if (cluster === undefined || generation === undefined || seq === undefined || payloadLen === undefined) return malformed;
  if (payloadLen > MAX_PAYLOAD_BYTES) return malformed;
  const payloadBytes = r.bytes(payloadLen);
  if (!payloadBytes) return malformed;
  const bodyLen = r.o;

  const key = auth.keys[String(keyIndex)];
  if (!key) return { ok: false, reason: "unknown-key" };
  if (key.method === "crc" && !opts.allowCrc) return { ok: false, reason: "crc-refused" };
  if (b.length !== bodyLen + MAC_BYTES[key.method]) return malformed;
  const expected = mac(key.method, key.key, b.subarray(0, bodyLen));
  if (!timingSafeEqual(expected, b.subarray(bodyLen))) return { ok: false, reason: "auth" };

  // Parsed only after the mac holds, so unauthenticated bytes never reach JSON.parse.
  const json = text(payloadBytes);
  if (json === undefined) return malformed;
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch {
    return malformed;
  }
  return { ok: true, packet: { node, cluster, generation, seq, keyIndex, payload } };
}
