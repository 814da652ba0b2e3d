/**
 * A row pattern compiled to a Thompson NFA once per query. States either test one row
 * against a pattern variable (`var`), branch without consuming a row (`split`, whose first
 * branch is preferred: greedy quantifiers prefer to repeat, reluctant ones to stop, and
 * alternation its left side), or accept (`final`, state 0). Matching runs the NFA as a
 * Pike VM whose threads are kept in preference order, so the first thread to accept is the
 * match the SQL standard prefers among those still possible.
 */
import type { BoundPattern } from '../../../plan/match-recognize-node.js';

export type NfaState =
  | { readonly kind: 'var'; readonly v: number; readonly next: number }
  | { readonly kind: 'split'; readonly a: number; readonly b: number }
  | { readonly kind: 'final' };

export const FINAL = 0;

export interface Nfa {
  readonly states: readonly NfaState[];
  readonly start: number;
}

export function compileNfa(pattern: BoundPattern): Nfa {
  const states: NfaState[] = [{ kind: 'final' }];
  const add = (s: NfaState): number => states.push(s) - 1;
  const build = (p: BoundPattern, next: number): number => {
    switch (p.kind) {
      case 'var':
        return add({ kind: 'var', v: p.v, next });
      case 'seq': {
        let e = next;
        for (let i = p.items.length - 1; i >= 0; i--) e = build(p.items[i]!, e);
        return e;
      }
      case 'alt': {
        const entries = p.items.map((i) => build(i, next));
        let e = entries[entries.length - 1]!;
        for (let i = entries.length - 2; i >= 0; i--) e = add({ kind: 'split', a: entries[i]!, b: e });
        return e;
      }
      case 'quant': {
        const prefer = (more: number, out: number): NfaState =>
          p.reluctant ? { kind: 'split', a: out, b: more } : { kind: 'split', a: more, b: out };
        let e: number;
        if (p.max === null) {
          const loop = add({ kind: 'final' });
          states[loop] = prefer(build(p.term, loop), next);
          e = loop;
        } else {
          // Optional copies nest: each one either takes the term and goes on to the next, or leaves.
          e = next;
          for (let i = 0; i < p.max - p.min; i++) e = add(prefer(build(p.term, e), next));
        }
        for (let i = 0; i < p.min; i++) e = build(p.term, e);
        return e;
      }
    }
  };
  const start = build(pattern, FINAL);
  return { states, start };
}

/** The rows a (partial) match has taken, newest first: a persistent list, so threads share prefixes. */
export interface Hist {
  readonly prev: Hist | null;
  /** The row's index in its partition (counted from the partition's first row). */
  readonly row: number;
  readonly v: number;
}

export interface Thread {
  readonly state: number;
  readonly hist: Hist | null;
}

/**
 * Appends to `out`, in preference order, the threads reachable from `state` without taking a
 * row: each stops at a `var` state or at FINAL. `mark`/`epoch` cut loops of splits (a
 * quantified part that can match nothing), `seen` (when given) drops a thread whose state an
 * earlier (preferred) thread of the same step already holds.
 */
export function closure(
  nfa: Nfa,
  state: number,
  hist: Hist | null,
  out: Thread[],
  mark: Int32Array,
  epoch: number,
  seen: Int32Array | null,
  seenEpoch: number,
): void {
  if (mark[state] === epoch) return;
  mark[state] = epoch;
  const s = nfa.states[state]!;
  if (s.kind === 'split') {
    closure(nfa, s.a, hist, out, mark, epoch, seen, seenEpoch);
    closure(nfa, s.b, hist, out, mark, epoch, seen, seenEpoch);
    return;
  }
  if (seen !== null) {
    if (seen[state] === seenEpoch) return;
    seen[state] = seenEpoch;
  }
  out.push({ state, hist });
}
