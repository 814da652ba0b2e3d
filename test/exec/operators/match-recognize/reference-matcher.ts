/**
 * A reference for MATCH_RECOGNIZE written independently of the operator: the SQL standard's
 * matching on a finite, ordered partition, by backtracking. Matches are tried at each row in
 * turn; the alternatives of the pattern are explored in preference order (greedy: one more
 * repetition first; reluctant: one fewer; alternation: left first) and the first complete
 * one is the match. Then AFTER MATCH SKIP picks the next start.
 */

export type Pat =
  | { readonly kind: 'var'; readonly v: number }
  | { readonly kind: 'seq'; readonly items: readonly Pat[] }
  | { readonly kind: 'alt'; readonly items: readonly Pat[] }
  | { readonly kind: 'quant'; readonly term: Pat; readonly min: number; readonly max: number | null; readonly reluctant: boolean };

export interface RefRow {
  readonly ts: number;
  readonly price: number;
}

/** The rows of a partial match: row index and variable, oldest first. */
export type Assignment = readonly { readonly row: number; readonly v: number }[];

/** A DEFINE condition: whether `rows[pos]` may be variable `v` after `assigned`. */
export type Define = (rows: readonly RefRow[], pos: number, assigned: Assignment) => boolean;

export type Skip = { readonly kind: 'PAST_LAST_ROW' | 'TO_NEXT_ROW' } | { readonly kind: 'TO_FIRST' | 'TO_LAST'; readonly v: number };

export interface RefMatch {
  readonly start: number;
  readonly assigned: Assignment;
}

function* gen(p: Pat, rows: readonly RefRow[], pos: number, a: Assignment, ok: (v: number, pos: number, a: Assignment) => boolean): Generator<[number, Assignment]> {
  switch (p.kind) {
    case 'var':
      if (pos < rows.length && ok(p.v, pos, a)) yield [pos + 1, [...a, { row: pos, v: p.v }]];
      return;
    case 'seq': {
      const from = function* (i: number, at: number, x: Assignment): Generator<[number, Assignment]> {
        if (i === p.items.length) {
          yield [at, x];
          return;
        }
        for (const [q, y] of gen(p.items[i]!, rows, at, x, ok)) yield* from(i + 1, q, y);
      };
      yield* from(0, pos, a);
      return;
    }
    case 'alt':
      for (const item of p.items) yield* gen(item, rows, pos, a, ok);
      return;
    case 'quant': {
      const rep = function* (count: number, at: number, x: Assignment): Generator<[number, Assignment]> {
        const more = p.max === null || count < p.max;
        const stop = count >= p.min;
        if (p.reluctant && stop) yield [at, x];
        if (more) for (const [q, y] of gen(p.term, rows, at, x, ok)) if (q > at) yield* rep(count + 1, q, y);
        if (!p.reluctant && stop) yield [at, x];
      };
      yield* rep(0, pos, a);
      return;
    }
  }
}

/** Every match of one partition's rows (in event-time order), in order. */
export function referenceMatches(pattern: Pat, defines: readonly (Define | null)[], rows: readonly RefRow[], skip: Skip, withinMs: number | null): RefMatch[] {
  const out: RefMatch[] = [];
  let start = 0;
  while (start < rows.length) {
    const ok = (v: number, pos: number, a: Assignment) =>
      (withinMs === null || rows[pos]!.ts - rows[start]!.ts <= withinMs) && (defines[v] === null || defines[v]!(rows, pos, a));
    const first = gen(pattern, rows, start, [], ok).next();
    if (first.done) {
      start++;
      continue;
    }
    const assigned = first.value[1];
    out.push({ start, assigned });
    const last = assigned[assigned.length - 1]!.row;
    let next: number;
    if (skip.kind === 'PAST_LAST_ROW') next = last + 1;
    else if (skip.kind === 'TO_NEXT_ROW') next = start + 1;
    else {
      const of = assigned.filter((x) => x.v === skip.v).map((x) => x.row);
      const at = skip.kind === 'TO_FIRST' ? of[0] : of[of.length - 1];
      next = at === undefined || at <= start ? start + 1 : at;
    }
    start = next;
  }
  return out;
}
