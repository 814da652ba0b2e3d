/**
 * The REPL side of tab completion: the catalog as the completer wants it, and the
 * candidates laid out in columns under the prompt.
 */
import type { CatalogSnapshot } from './completion.js';
import type { ReplEngine } from './shell.js';

/** Most lines of candidates shown under the prompt. */
const MAX_COMPLETION_LINES = 4;

/** The catalog as completion wants it. */
export function catalogSnapshot(engine: Pick<ReplEngine, 'describeCatalog'>): CatalogSnapshot {
  const c = engine.describeCatalog();
  return {
    sources: c.sources.map((s) => ({ name: s.name, columns: s.columns.map((x) => x.name) })),
    views: c.views.map((v) => ({ name: v.name, columns: v.columns.map((x) => x.name) })),
    sinks: c.sinks.map((s) => s.name),
  };
}

/** Candidates in columns of equal width, at most `maxLines` lines (then a count of the rest). */
export function candidateLines(candidates: readonly string[], width: number, maxLines = MAX_COMPLETION_LINES): string[] {
  if (candidates.length === 0) return [];
  const cell = Math.max(...candidates.map((c) => c.length)) + 2;
  const perLine = Math.max(1, Math.floor(width / cell));
  const lines: string[] = [];
  for (let i = 0; i < candidates.length; i += perLine) {
    lines.push(candidates.slice(i, i + perLine).map((c) => c.padEnd(cell)).join('').trimEnd());
  }
  if (lines.length <= maxLines) return lines;
  const shown = lines.slice(0, maxLines - 1);
  const rest = candidates.length - shown.length * perLine;
  return [...shown, `… and ${rest} more`];
}
