/**
 * Which column each source of a group job is repartitioned by, when its declared `key` does
 * not key every stateful query (SPEC 8). As Kafka Streams inserts a repartition topic before
 * a `groupBy` on another key, the group then runs the job in two stages: per source
 * partition, the sources' rows are published to a repartition stream by a hash of the chosen
 * column; per repartition partition, the whole job reads that stream. The chosen columns
 * must key every stateful query at once (keyColumns is the judge), so the search tries the
 * declared keys first, then every choice of one column per source, fewest changes first.
 */
import { SluiceError, type Span } from '../errors.js';
import type { LogicalPlan } from '../plan/logical-plan.js';
import { keyColumns } from './partition-split.js';

/** A materialized view of the job, in script order. */
export interface ViewPlan {
  readonly name: string;
  readonly plan: LogicalPlan;
  readonly span: Span;
}

/** A nats source of the job: its column count and the index of its declared `key` (null: none). */
export interface SourceKey {
  readonly name: string;
  readonly columns: number;
  readonly declared: number | null;
}

/** Tries beyond this many choices are not made: the refusal then says so. */
const MAX_TRIES = 4096;

interface Failure {
  readonly view: number;
  readonly error: SluiceError;
}

/** Checks every view with the sources keyed by `keys`; the first view refused, or null. */
function check(views: readonly ViewPlan[], keys: ReadonlyMap<string, number | null>): Failure | null {
  const viewKey = new Map<string, Set<number>>();
  for (const [i, v] of views.entries()) {
    try {
      viewKey.set(v.name, keyColumns(v.plan, { sourceKey: keys, viewKey }, `view '${v.name}'`));
    } catch (e) {
      if (!(e instanceof SluiceError)) throw e;
      return { view: i, error: new SluiceError(e.code, e.message, { span: v.span }) };
    }
  }
  return null;
}

/** Every choice of one column per source, fewest departures from the declared keys first. */
function* choices(sources: readonly SourceKey[]): Generator<Map<string, number>> {
  const options = sources.map((s) => {
    const all = Array.from({ length: s.columns }, (_, c) => c);
    return s.declared === null ? all : [s.declared, ...all.filter((c) => c !== s.declared)];
  });
  const cost = (pick: readonly number[]) => pick.reduce((n, o, i) => n + (o === 0 && sources[i]!.declared !== null ? 0 : 1), 0);
  const picks: number[][] = [];
  const walk = (i: number, acc: number[]) => {
    if (picks.length >= MAX_TRIES) return;
    if (i === sources.length) picks.push([...acc]);
    else for (let o = 0; o < options[i]!.length; o++) walk(i + 1, [...acc, o]);
  };
  walk(0, []);
  const order = picks.map((p, i) => ({ p, i, c: cost(p) })).sort((a, b) => a.c - b.c || a.i - b.i);
  for (const { p } of order) yield new Map(sources.map((s, i) => [s.name, options[i]![p[i]!]!]));
}

/**
 * The repartition columns (source → column index), or null when the declared keys already
 * key every stateful query (each partition runs the whole job). Throws the refusal of the
 * choice that got furthest through the job, naming the view, when no choice works.
 */
export function chooseRepartition(views: readonly ViewPlan[], sources: readonly SourceKey[]): Map<string, number> | null {
  const declared = new Map(sources.map((s) => [s.name, s.declared]));
  let best = check(views, declared);
  if (best === null) return null;
  let tries = 0;
  for (const keys of choices(sources)) {
    tries++;
    const f = check(views, keys);
    if (f === null) return keys;
    if (f.view > best.view) best = f;
  }
  const why = tries >= MAX_TRIES ? ` (the first ${MAX_TRIES} choices of repartition columns were tried)` : '';
  throw new SluiceError(best.error.code, `${best.error.message}${why}`, { span: views[best.view]!.span });
}
