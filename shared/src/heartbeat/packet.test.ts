import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AuthKeys } from "../config/schemas.js";
import { decodePacket, encodePacket, MAX_PAYLOAD_BYTES, type HeartbeatPacket } from "./packet.js";

const keys = (active: number, entries: Record<number, [AuthKeys["method"], string]>): AuthKeys => {
  const all = Object.fromEntries(Object.entries(entries).map(([i, [method, key]]) => [i, { method, key }]));
  const a = all[String(active)]!;
  return { active, method: a.method, key: a.key, keys: all };
};

const ours = keys(1, { 1: ["sha256", "correct horse"], 2: ["sha1", "battery staple"] });
const base: Omit<HeartbeatPacket, "keyIndex"> = {
  node: "n1",
  cluster: "web",
  generation: 1_700_000_000_123,
  seq: 42,
  payload: { view: ["n1", "n2"], standby: false },
};

function encoded(p = base, k: AuthKeys = ours, opts = {}): Buffer {
  const r = encodePacket(p, k, opts);
  if (!r.ok) throw new Error(`encode failed: ${r.reason}`);
  return r.bytes;
}

describe("heartbeat packet", () => {
  it.each(["sha256", "sha1", "md5"] as const)("round-trips every field signed with HMAC-%s", (method) => {
    const k = keys(3, { 3: [method, "k3"] });
    const r = decodePacket(encoded(base, k), k);
    expect(r).toEqual({ ok: true, packet: { ...base, keyIndex: 3 } });
  });

  it("accepts a packet signed with another configured key index (rolling key change)", () => {
    const sender = keys(2, { 1: ["sha256", "correct horse"], 2: ["sha1", "battery staple"] });
    const r = decodePacket(encoded(base, sender), ours);
    expect(r.ok && r.packet.keyIndex).toBe(2);
  });

  it("drops a packet signed with a different key as auth", () => {
    const other = keys(1, { 1: ["sha256", "wrong horse"] });
    expect(decodePacket(encoded(base, other), ours)).toEqual({ ok: false, reason: "auth" });
  });

  it("drops a packet naming a key index the receiver does not have as unknown-key", () => {
    const other = keys(7, { 7: ["sha256", "correct horse"] });
    expect(decodePacket(encoded(base, other), ours)).toEqual({ ok: false, reason: "unknown-key" });
  });

  it("refuses crc unless allowed, and then checks it", () => {
    const crc = keys(1, { 1: ["crc", ""] });
    expect(encodePacket(base, crc)).toEqual({ ok: false, reason: "crc-refused" });
    const bytes = encoded(base, crc, { allowCrc: true });
    expect(decodePacket(bytes, crc)).toEqual({ ok: false, reason: "crc-refused" });
    expect(decodePacket(bytes, crc, { allowCrc: true }).ok).toBe(true);
    bytes[8]! ^= 0x01;
    expect(decodePacket(bytes, crc, { allowCrc: true }).ok).toBe(false);
  });

  it("refuses a payload over 1 KiB when encoding", () => {
    const big = { blob: "x".repeat(MAX_PAYLOAD_BYTES) };
    expect(encodePacket({ ...base, payload: big }, ours)).toEqual({ ok: false, reason: "payload-too-large" });
  });

  it("drops every single flipped bit, never accepting a changed packet", () => {
    const good = encoded();
    for (let i = 0; i < good.length * 8; i++) {
      const bad = Buffer.from(good);
      bad[i >> 3]! ^= 1 << (i & 7);
      const r = decodePacket(bad, ours);
      expect(r.ok, `bit ${i}`).toBe(false);
    }
  });

  it("drops every truncation and extension as malformed", () => {
    const good = encoded();
    for (let n = 0; n < good.length; n++) {
      expect(decodePacket(good.subarray(0, n), ours)).toEqual({ ok: false, reason: "malformed" });
    }
    expect(decodePacket(Buffer.concat([good, Buffer.from([0])]), ours)).toEqual({ ok: false, reason: "malformed" });
  });

  it("never throws on random bytes and never accepts them", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1400 }), (bytes) => {
        const r = decodePacket(bytes, ours);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on random bytes behind a valid header", () => {
    const head = encoded().subarray(0, 6);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (tail) => {
        const r = decodePacket(Buffer.concat([head, tail]), ours);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips arbitrary names, numbers and JSON payloads", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.nat(),
        fc.jsonValue({ maxDepth: 3 }),
        (node, cluster, generation, seq, payload) => {
          const p = { node, cluster, generation, seq, payload: JSON.parse(JSON.stringify(payload)) as unknown };
          const r = encodePacket(p, ours);
          if (!r.ok) return; // too large or a lone surrogate: refused, which is the point
          const d = decodePacket(r.bytes, ours);
          expect(d.ok).toBe(true);
          if (d.ok) expect(d.packet.seq).toBe(seq);
          if (d.ok) expect(d.packet.payload).toEqual(p.payload);
        },
      ),
      { numRuns: 500 },
    );
  });
});
