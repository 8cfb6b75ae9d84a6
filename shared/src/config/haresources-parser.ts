// haresources → GroupSpec[]. One group per (logical) line: `preferred-node resource resource …`.
// Resources start left to right and stop right to left.
//
// A group's id is heartbeat's key for it: its first resource as written. Vigil extension: a word
// `group=NAME` right after the node names the group instead, e.g.
//     n1 group=web 198.51.100.10 Filesystem::/dev/sdb1::/srv::ext4 nginx
// which heartbeat itself would read as a resource script called "group=web"; use it only with Vigil.
import { sortConfigErrors, type ConfigError, type Parsed } from "./config-error.js";
import { isNodeName } from "./hacf-values.js";
import { logicalLines, type Word } from "./haresources-lines.js";
import { parseResource, resourceIdentity } from "./haresources-resource.js";
import type { GroupSpec, ResourceSpec } from "./schemas.js";

const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

export function parseHaresources(text: string, file = "haresources"): Parsed<GroupSpec[]> {
  const { groups, errors } = parseHaresourcesDetailed(text, file);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: groups };
}

/** The groups whose lines parsed, and every error: `config check` checks the resources of the groups
 *  that parsed even when other lines did not, so that one run reports every problem. */
export function parseHaresourcesDetailed(text: string, file = "haresources"): { groups: GroupSpec[]; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  const groups: GroupSpec[] = [];
  const groupLines = new Map<string, number>();
  const owners = new Map<string, { group: string; line: number }>();

  for (const { line, words } of logicalLines(text)) {
    const fail = (w: { line: number }, message: string) => errors.push({ file, line: w.line, message });
    const [nodeWord, ...rest] = words as [Word, ...Word[]];
    let ok = true;
    if (!isNodeName(nodeWord.text)) {
      fail(nodeWord, `"${nodeWord.text}" is not a node name (each line starts with the preferred node)`);
      ok = false;
    }
    let name: string | undefined;
    if (rest[0]?.text.startsWith("group=")) {
      const w = rest.shift()!;
      name = w.text.slice("group=".length);
      if (!GROUP_NAME.test(name)) {
        fail(w, `group name "${name}" may hold letters, digits, ".", "_", ":" and "-"`);
        ok = false;
      }
    }
    if (rest.length === 0) {
      fail(nodeWord, `node "${nodeWord.text}" has no resources`);
      continue;
    }

    const resources: ResourceSpec[] = [];
    const mine = new Set<string>();
    for (const w of rest) {
      if (w.text.startsWith("group=")) {
        fail(w, `"${w.text}" must come right after the node`);
        ok = false;
        continue;
      }
      const r = parseResource(w.text);
      if (!r.ok) {
        fail(w, r.message);
        ok = false;
        continue;
      }
      const identity = resourceIdentity(r.value);
      const owner = owners.get(identity);
      if (mine.has(identity)) {
        fail(w, `resource "${w.text}" appears twice in this group`);
        ok = false;
      } else if (owner) {
        // Invariant 1: one resource in two groups could be held by two nodes at once.
        fail(w, `resource "${w.text}" is already in group "${owner.group}" (line ${owner.line})`);
        ok = false;
      }
      mine.add(identity);
      resources.push(r.value);
    }

    const id = name ?? rest[0]!.text;
    const earlier = groupLines.get(id);
    if (earlier !== undefined) {
      fail({ line }, `group "${id}" is already defined on line ${earlier}`);
      ok = false;
    } else {
      groupLines.set(id, line);
    }
    for (const identity of mine) if (!owners.has(identity)) owners.set(identity, { group: id, line });
    if (ok) groups.push({ id, preferredNode: nodeWord.text, resources, line });
  }
  return { groups, errors: sortConfigErrors(errors) };
}
