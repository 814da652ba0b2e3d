/**
 * Read-your-writes (SPEC 2.7): a pull query with `after` waits until the views it reads have
 * consumed the given offsets of their sources. Whatever moves views forward (inserts, the
 * pump) calls `notify`.
 */
import { SluiceError } from '../errors.js';
import type { QueryOptions } from './api-types.js';
import type { EngineState } from './engine-state.js';
import { namesIn } from './sql-names.js';

export class ReadYourWrites {
  /** Called whenever views may have consumed more of their sources. */
  private readonly waiters = new Set<() => void>();

  constructor(private readonly s: EngineState) {}

  notify(): void {
    for (const f of [...this.waiters]) f();
  }

  /**
   * Resolves once every view `sql` may read has consumed the `after` offsets of the sources
   * it reads. Views are found by name in the text: a name that is not a read only makes the
   * wait stricter, and every view takes a delivered batch at once, so it costs nothing.
   */
  wait(sql: string, options: QueryOptions): Promise<void> {
    const { s } = this;
    const targets = afterTargets(options.after, (name) => s.sources.get(name)?.name ?? s.sources.get(name.toLowerCase())?.name ?? null);
    const timeout = options.timeout ?? 10_000;
    if (typeof timeout !== 'number' || !(timeout >= 0)) throw new SluiceError('ARGUMENT', `timeout must be a number of milliseconds >= 0, got ${String(timeout)}`);
    const names = namesIn(sql);
    const behind = (): string | null => {
      for (const v of s.views.values()) {
        if (!names.has(v.def.name.toLowerCase())) continue;
        for (const [source, offset] of targets) {
          if (!v.readsSource(source)) continue;
          const at = v.sourceOffsets().get(source) ?? -1;
          if (at < offset) return `view '${v.def.name}' has consumed source '${source}' up to offset ${at}, not yet ${offset}`;
        }
      }
      return null;
    };
    if (behind() === null) return Promise.resolve();
    return new Promise<void>((done, fail) => {
      const check = () => {
        if (s.closed) finish(new SluiceError('STATE', 'the engine is closed'));
        else if (behind() === null) finish();
      };
      // Inserts notify at once; sources read in the background are polled.
      const poll = setInterval(check, 20);
      const timer = setTimeout(() => finish(new SluiceError('TIMEOUT', `read-your-writes query gave up after ${timeout} ms: ${behind() ?? 'offsets not consumed'}`)), timeout);
      const finish = (e?: SluiceError) => {
        clearInterval(poll);
        clearTimeout(timer);
        this.waiters.delete(check);
        if (e) fail(e);
        else done();
      };
      this.waiters.add(check);
    });
  }
}

/** The largest offset to wait for in each source of an `after` option, checked. */
export function afterTargets(after: QueryOptions['after'], sourceNamed: (name: string) => string | null): Map<string, number> {
  if (after === null || typeof after !== 'object' || Array.isArray(after)) {
    throw new SluiceError('ARGUMENT', "after must name each source's offsets: { source: offsets }, e.g. { clicks: await engine.insert('clicks', rows) }");
  }
  const out = new Map<string, number>();
  for (const [source, given] of Object.entries(after)) {
    const name = sourceNamed(source);
    if (name === null) throw new SluiceError('CATALOG', `after names source '${source}', which does not exist`);
    const list = typeof given === 'number' ? [given] : Array.isArray(given) ? given : given && typeof given === 'object' ? (given as { offsets?: unknown }).offsets : undefined;
    if (!Array.isArray(list)) throw new SluiceError('ARGUMENT', `after.${source} must be an offset, an array of offsets or an insert's result, got ${typeof given}`);
    let max = -1;
    for (const o of list as unknown[]) {
      if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) throw new SluiceError('ARGUMENT', `after.${source}: an offset is a whole number >= 0, got ${String(o)}`);
      if (o > max) max = o;
    }
    if (max >= 0) out.set(name, Math.max(max, out.get(name) ?? -1));
  }
  return out;
}
