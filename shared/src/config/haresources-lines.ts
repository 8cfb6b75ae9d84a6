// haresources' line structure: `#` starts a comment, and a line ending in `\` continues on the next.
// Each word keeps its physical line, so an error in a continued group points at the right line.

export interface Word {
  text: string;
  line: number;
}

export interface LogicalLine {
  /** Physical line of the first word. */
  line: number;
  words: Word[];
}

/** A `\` before a blank line or the end of the file simply ends the group. */
export function logicalLines(text: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let current: Word[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    // A comment starts at a `#` that begins a word.
    let body = raw.replace(/(^|\s)#.*$/, "$1").trimEnd();
    const continued = body.endsWith("\\");
    if (continued) body = body.slice(0, -1);
    for (const w of body.split(/\s+/)) if (w !== "") current.push({ text: w, line });
    if (!continued && current.length > 0) {
      lines.push({ line: current[0]!.line, words: current });
      current = [];
    }
  });
  if (current.length > 0) lines.push({ line: current[0]!.line, words: current });
  return lines;
}
