// What a group machine reports, one notice per fact. Each notice is the body of an event of the shared
// vocabulary (same type name, same fields) plus its cause, so the agent turns it into a log event with
// `noticeToEvent` and nothing is lost or renamed on the way.
import { makeEvent, type EventBody, type EventOf } from "@vigil/shared/events/vocabulary";
import type { ActionResult } from "@vigil/resource-agents/agent-interface";
import type { GroupContext, ResourceOp } from "./group-context.js";

/** An event's own fields, without the envelope and without `type` (which the notice carries). */
type Fields<T extends NoticeType> = Omit<EventOf<T>, "v" | "type" | "id" | "node" | "time" | "cause" | "causeId">;

export const NOTICE_TYPES = [
  "GroupStarting",
  "GroupStarted",
  "GroupStopping",
  "GroupStopped",
  "GroupBlocked",
  "ResourceStarting",
  "ResourceStarted",
  "ResourceStopping",
  "ResourceStopped",
  "ResourceFailed",
  "FenceRequested",
] as const;
export type NoticeType = (typeof NOTICE_TYPES)[number];

type NoticeOf<T extends NoticeType> = { type: T } & Fields<T> & { cause: string };
export type GroupNotice = { [T in NoticeType]: NoticeOf<T> }[NoticeType];

/** Stamps a notice with the envelope (id and time come from the caller, keeping the machine pure). */
export function noticeToEvent(
  notice: GroupNotice,
  meta: { id: string; node: string; time: Date | number; causeId?: string },
): EventOf<NoticeType> {
  const { cause, type, ...fields } = notice;
  // The body is passed with its type too, so this works whether or not EventBody keeps `type`.
  return makeEvent(type, { type, ...fields } as unknown as EventBody<NoticeType>, { ...meta, cause });
}

export const groupNotice = (
  ctx: GroupContext,
  type: "GroupStarting" | "GroupStarted" | "GroupStopping" | "GroupStopped",
): GroupNotice => ({ type, group: ctx.group, cause: ctx.cause });

/** About the resource the machine is acting on (its cursor). */
export const resourceNotice = (
  ctx: GroupContext,
  type: "ResourceStarting" | "ResourceStarted" | "ResourceStopping" | "ResourceStopped",
): GroupNotice => ({ type, group: ctx.group, resource: ctx.slots[ctx.cursor]!.id, cause: ctx.cause });

/** Reports the failcount already bumped by the failure, as Pacemaker's fail-count attribute would read. */
export function failureNotice(ctx: GroupContext, op: ResourceOp, r: ActionResult): GroupNotice {
  const s = ctx.slots[ctx.cursor]!;
  return { type: "ResourceFailed", group: ctx.group, resource: s.id, op, rc: r.rc, message: r.message, failcount: s.failcount, cause: ctx.cause };
}
