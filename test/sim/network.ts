// Which heartbeats get through, as the active faults say. A packet is checked when it is sent and
// again when it arrives (a link that went down in between loses it too), and each check of a lossy
// node draws from the run's random stream.
import type { Fault } from "./fault-schedule.js";
import type { Rng } from "./prng.js";

export class Network {
  private active: Fault[] = [];

  constructor(private readonly rng: Rng) {}

  begin(f: Fault): void {
    this.active.push(f);
  }

  end(f: Fault): void {
    this.active = this.active.filter((x) => x !== f);
  }

  /** Whether a packet `from` sends leaves its host at all: nftables' `numgen random` on the sender's
   *  output drops the one datagram, for every receiver of a multicast alike (`random-loss`). */
  leaves(from: string): boolean {
    for (const f of this.active) if (f.kind === "random-loss" && f.node === from && this.rng.chance(f.rate)) return false;
    return true;
  }

  /** Whether a packet from `from` to `to` gets through at this instant: checked when it is sent and
   *  again when it `arrives`. */
  passes(from: string, to: string, arrives = false): boolean {
    for (const f of this.active) {
      switch (f.kind) {
        case "link-down":
          if (f.node === from || f.node === to) return false;
          break;
        case "partition": {
          const [a, b] = f.sides;
          if ((a.includes(from) && b.includes(to)) || (b.includes(from) && a.includes(to))) return false;
          break;
        }
        case "one-way":
          if (f.from === from && f.to.includes(to)) return false;
          break;
        case "loss":
          if ((f.node === from || f.node === to) && this.rng.chance(f.rate)) return false;
          break;
        case "random-loss":
          // The receiving side's input rule: one draw per datagram that reaches the host.
          if (arrives && f.node === to && this.rng.chance(f.rate)) return false;
          break;
        default:
          break;
      }
    }
    return true;
  }

  /** A ping to the witness: lost while the node's link is down (partitions leave the witness reachable). */
  reachesWitness(node: string): boolean {
    return !this.active.some((f) => f.kind === "link-down" && f.node === node);
  }
}
