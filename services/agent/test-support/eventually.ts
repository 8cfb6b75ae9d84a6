/** Resolves with `cond()` once it holds, polling every `stepMs`, for at most `ms` (bounded). */
export async function eventually(cond: () => boolean, ms: number, stepMs = 10): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += stepMs) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}
