// The tie-breaker lease's I/O (`tiebreaker nats`, two-node clusters): one KV entry, `lease` in bucket
// `vigil_<cluster>_tiebreak`, whose max_age is the lease TTL so the server's own clock drops an entry
// its holder stopped renewing (nats-server 2.9.10 has no per-key TTL). Acquire = kv.create (only when
// no live entry), renew = kv.update on the revision last written (compare-and-set). What to do when,
// and what counts, is decided in shared/src/placement/tiebreak.ts; this file only asks and remembers.
import { jetstream } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import {
  leaseValid, nextLeaseStep, noLease, pendingEnd, tiebreakWitness, yieldsTo, type TiebreakState, type TiebreakTiming,
} from "@vigil/shared/placement/tiebreak";
import { wantedReplicas } from "@vigil/log-client/event-stream";

export const tiebreakBucket = (cluster: string) => `vigil_${cluster}_tiebreak`;
export const LEASE_KEY = "lease";

/** The entry's value. `token` is the acquisition revision (0 in the create itself: its own revision). */
interface LeaseValue {
  holder: string;
  generation: number;
  token: number;
}

export interface TiebreakDeps {
  nc: NatsConnection;
  cluster: string;
  self: string;
  peer: string;
  nodes: readonly string[];
  generation: number;
  timing: TiebreakTiming;
  log: Logger;
  /** TiebreakerWon/TiebreakerLost, once per verdict while the peer is unheard. */
  won: (token: number, renewed: boolean, cause: string) => void;
  lost: (holder: string | null, token: number | null, cause: string) => void;
  /** The witness may have changed: decide again. */
  onChange: () => void;
  /** Monotonic milliseconds (performance.now): validity never depends on wall clocks. */
  now?: () => number;
}

export class TiebreakLease {
  private s: TiebreakState = noLease();
  private lastAttemptAt: number | null = null;
  private lastSuccessAt: number | null = null;
  private inFlight = false;
  private attempts = 0;
  private kv: KV | null = null;
  private bucketTry: Promise<KV | null> | null = null;
  private stepTimer: NodeJS.Timeout | null = null;
  private flipTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The verdict last recorded since the peer was lost ("" after it is heard again). */
  private reported = "";
  private readonly now: () => number;

  constructor(private readonly d: TiebreakDeps) {
    this.now = d.now ?? (() => performance.now());
  }

  /** Creates (or opens) the bucket in the background; an attempt before it is ready fails and retries. */
  start(): void {
    void this.bucket();
  }

  stop(): void {
    this.stopped = true;
    if (this.stepTimer) clearTimeout(this.stepTimer);
    if (this.flipTimer) clearTimeout(this.flipTimer);
  }

  /** From the controller before each decision: is the peer up (for quorum), and who holds how many groups. */
  observe(peerUp: boolean, ownGroups: number, peerGroups: number): void {
    const now = this.now();
    if (peerUp && this.s.peerLostAt !== null) {
      this.s = { ...this.s, peerLostAt: null, answered: null, otherHolder: null };
      this.reported = "";
    } else if (!peerUp && this.s.peerLostAt === null) {
      // Preference is fixed at the loss: the holder of more groups, else the first in ha.cf order.
      const yields = yieldsTo(this.d.self, this.d.peer, this.d.nodes, ownGroups, peerGroups);
      this.s = { ...this.s, peerLostAt: now, answered: null, otherHolder: null, keeping: ownGroups > 0, yields };
      this.d.log.info({ yields, held: leaseValid(this.s, now), ownGroups, peerGroups }, "peer unheard: asking for the tie-breaker lease");
    }
    this.schedule();
  }

  witness(): boolean {
    return tiebreakWitness(this.s, this.now(), this.d.timing).has;
  }

  /** The lease as this node knows it, for the live view (`vigil status` without the log). */
  info(): { held: boolean; token: number | null; reason: string; validForMs: number | null } {
    const now = this.now();
    const valid = leaseValid(this.s, now);
    return {
      held: valid,
      token: valid ? this.s.held!.token : null,
      reason: tiebreakWitness(this.s, now, this.d.timing).reason,
      validForMs: valid ? Math.round(this.s.held!.validUntil - now) : null,
    };
  }

  /** The fencing token to record on a GroupStarting: this node's valid lease's, else none. */
  token(): number | null {
    return leaseValid(this.s, this.now()) ? this.s.held!.token : null;
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = this.now();
    // Wake the decision when the witness can flip by time alone: the pending's end, the validity's end.
    const t = this.d.timing;
    const pending = this.s.peerLostAt !== null && this.s.answered === null ? pendingEnd(this.s, t) : Infinity;
    const flips = [pending, this.s.held ? this.s.held.validUntil : Infinity].filter((x) => x > now && Number.isFinite(x));
    // (Infinity: nothing flips by time. setTimeout would take it as 1 ms and spin.)
    if (this.flipTimer) clearTimeout(this.flipTimer);
    if (flips.length > 0) {
      this.flipTimer = setTimeout(() => {
        this.d.onChange();
      }, Math.min(...flips) - now + 1);
      this.flipTimer.unref();
    }
    if (this.inFlight) return;
    const step = nextLeaseStep(this.s, now, t, { lastAttemptAt: this.lastAttemptAt, lastSuccessAt: this.lastSuccessAt });
    if (this.stepTimer) clearTimeout(this.stepTimer);
    this.stepTimer = null;
    if (step.kind === "idle") return;
    if (step.kind === "wait") {
      if (!Number.isFinite(step.at)) return;
      this.stepTimer = setTimeout(() => this.schedule(), Math.max(1, step.at - now));
      this.stepTimer.unref();
      return;
    }
    this.inFlight = true;
    this.lastAttemptAt = now;
    // A question not answered within its timeout is said to have failed now (a late answer still
    // counts when it comes); the witness has ended by then anyway (pendingEnd).
    const attempt = ++this.attempts;
    const overdue = setTimeout(() => {
      if (this.inFlight && this.attempts === attempt && this.s.answered === null) this.failed(`no answer within ${t.requestTimeoutMs} ms`);
    }, t.requestTimeoutMs);
    overdue.unref();
    void this.attempt(step.kind === "renew" ? step.revision : null, now).finally(() => {
      clearTimeout(overdue);
      this.inFlight = false;
      this.d.onChange();
      this.schedule();
    });
  }

  /** One create (revision null) or renewal, sent at `sent`. */
  private async attempt(revision: number | null, sent: number): Promise<void> {
    const kv = this.kv ?? (await this.bucket());
    if (!kv) return this.failed("the tie-breaker bucket is not ready (is JetStream up on the arbiter?)");
    try {
      if (revision !== null) {
        const token = this.s.held!.token;
        return this.succeeded(await kv.update(LEASE_KEY, this.value(token), revision), token, sent, true);
      }
      try {
        const rev = await kv.create(LEASE_KEY, this.value(0));
        return this.succeeded(rev, rev, sent, false);
      } catch (e) {
        if (!isWrongRevision(e)) throw e;
      }
      // A live entry: another node's (refused), or this agent's own from before (renew it).
      const entry = await kv.get(LEASE_KEY);
      const v = entry ? parseValue(entry.string()) : null;
      if (entry && v && v.holder === this.d.self && v.generation === this.d.generation) {
        const token = v.token || entry.revision;
        return this.succeeded(await kv.update(LEASE_KEY, this.value(token), entry.revision), token, sent, true);
      }
      this.refused(v?.holder ?? null, v ? v.token || entry!.revision : null);
    } catch (e) {
      if (revision !== null && isWrongRevision(e)) return this.refused(null, null);
      this.failed((e as Error).message);
    }
  }

  private succeeded(revision: number, token: number, sent: number, renewed: boolean): void {
    const t = this.d.timing;
    this.s = { ...this.s, held: { token, revision, validUntil: sent + t.ttlMs - t.marginMs }, answered: this.s.peerLostAt !== null ? null : this.s.answered };
    this.lastSuccessAt = sent;
    this.verdict(`won:${token}`, () => this.d.won(token, renewed, renewed ? `kept the tie-breaker lease (token ${token}) while ${this.d.peer} is unheard` : `took the tie-breaker lease (token ${token}): ${this.d.peer} is unheard; this node runs the groups`));
  }

  private refused(holder: string | null, token: number | null): void {
    this.s = { ...this.s, held: null, answered: "refused", otherHolder: holder };
    this.verdict(`refused:${holder}:${token}`, () =>
      this.d.lost(holder, token, `${holder ?? "another node"} holds the tie-breaker lease${token !== null ? ` (token ${token})` : ""}: no quorum while ${this.d.peer} is unheard; stopping this node's groups`),
    );
  }

  private failed(why: string): void {
    if (this.s.peerLostAt === null) return;
    this.s = { ...this.s, answered: this.s.answered ?? "failed" };
    this.d.log.warn({ err: why }, "tie-breaker lease request failed");
    if (!leaseValid(this.s, this.now()))
      this.verdict("failed", () => this.d.lost(null, null, `the arbiter did not answer (${why}): no tie-breaker lease, no quorum while ${this.d.peer} is unheard`));
  }

  /** Records a verdict once while the peer stays unheard (renewals are not news). */
  private verdict(key: string, record: () => void): void {
    if (this.s.peerLostAt === null || key === this.reported) return;
    this.reported = key;
    record();
  }

  private value(token: number): string {
    return JSON.stringify({ holder: this.d.self, generation: this.d.generation, token } satisfies LeaseValue);
  }

  /** The bucket, made once; replicas as for the event stream (fewer when too few servers are up). */
  private bucket(): Promise<KV | null> {
    if (this.kv) return Promise.resolve(this.kv);
    this.bucketTry ??= (async () => {
      const kvm = new Kvm(jetstream(this.d.nc, { timeout: Math.max(500, this.d.timing.renewEveryMs), checkAPI: false }));
      const name = tiebreakBucket(this.d.cluster);
      for (let n = wantedReplicas(this.d.nc); n >= 1; n--) {
        try {
          this.kv = await kvm.create(name, { history: 1, ttl: this.d.timing.ttlMs, replicas: n });
          this.d.log.info({ bucket: name, replicas: n, ttlMs: this.d.timing.ttlMs }, "tie-breaker bucket ready");
          return this.kv;
        } catch (e) {
          if (n === 1 || !/insufficient|replicas|resources|peers/i.test((e as Error).message)) {
            this.d.log.warn({ bucket: name, err: (e as Error).message }, "tie-breaker bucket not ready");
            return null;
          }
        }
      }
      return null;
    })().finally(() => (this.bucketTry = null));
    return this.bucketTry;
  }
}

const isWrongRevision = (e: unknown) => /wrong last sequence/i.test(String((e as Error)?.message));

function parseValue(s: string): LeaseValue | null {
  try {
    const v = JSON.parse(s) as Partial<LeaseValue>;
    return typeof v.holder === "string" && typeof v.generation === "number" && typeof v.token === "number" ? (v as LeaseValue) : null;
  } catch {
    return null;
  }
}
