// The fold a log follower keeps, and its refold: after a lost log, the new stream is folded from its
// start into a fresh view while the live fold stays in force; the fresh one replaces the live one in
// place (the controller holds a reference to it) once it has applied an event `until` accepts (the
// agent's own LogRestored: its share of the rebuild is in). Pure: the follower (and the simulator's
// agents) feed it what the reader reads.
import { applyEvent, emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import type { VigilEvent } from "@vigil/shared/events/vocabulary";

interface Refold {
  view: ClusterView;
  until: (e: VigilEvent) => boolean;
}

export interface Applied {
  /** The event was new to the live fold: hand it to the controller. */
  live: boolean;
  /** The refold was swapped in as the live fold by this event. */
  refolded: boolean;
}

export class FollowedFold {
  private refolding: Refold | null = null;

  constructor(
    private readonly cluster: string,
    private readonly view: ClusterView,
    private created: string | null,
  ) {}

  /** Creation time of the stream the live fold belongs to; null while a refold is under way. */
  get streamCreated(): string | null {
    return this.refolding ? null : this.created;
  }

  /** The first read found the stream: a fold that did not know its stream's identity learns it. */
  noteStream(created: string): void {
    this.created ??= created;
  }

  /** The stream judged against: the live fold's, or the one being refolded. */
  get followedCreated(): string | null {
    return this.created;
  }

  /** The fold being built: the live one, or the fresh one of a refold. Readers resume at its lastSeq + 1. */
  get target(): ClusterView {
    return this.refolding?.view ?? this.view;
  }

  get isRefolding(): boolean {
    return this.refolding !== null;
  }

  refold(created: string, until: (e: VigilEvent) => boolean): void {
    this.refolding = { view: emptyView(this.cluster), until };
    this.created = created;
  }

  apply(seq: number, e: VigilEvent): Applied {
    const r = this.refolding;
    if (!r) return { live: applyEvent(this.view, e, seq), refolded: false };
    applyEvent(r.view, e, seq);
    if (!r.until(e)) return { live: false, refolded: false };
    Object.assign(this.view, r.view);
    this.refolding = null;
    return { live: false, refolded: true };
  }
}
