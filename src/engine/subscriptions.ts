/**
 * Following changes as they happen: subscriptions to a materialized view (a listener, or an
 * async iterator) and live queries (a streaming SELECT or SUBSCRIBE run as a pipeline of its
 * own while the pump reads its sources).
 */
import { parseStatement } from '../../grammar/index.js';
import type { Statement } from '../../grammar/ast.js';
import { SluiceError, toSluiceError } from '../errors.js';
import type { ChangeBatch } from '../exec/batch.js';
import { bindStatement } from '../plan/binder/bind-statement.js';
import { walkPlan, type LogicalPlan } from '../plan/logical-plan.js';
import { viewScanNode } from '../plan/node-builders.js';
import { batchChanges, columnsOfSchema } from './api-results.js';
import type { LiveQuery, SubscribeOptions, Subscription } from './api-types.js';
import type { Dataflow } from './dataflow.js';
import type { EngineState } from './engine-state.js';
import type { SourcePump } from './pump.js';
import type { Change } from './rows.js';
import type { ViewRuntime } from './view-runtime.js';

export class Subscriptions {
  constructor(
    private readonly s: EngineState,
    private readonly dataflow: Dataflow,
    private readonly pump: SourcePump,
  ) {}

  /** Calls `listener` with every change of a materialized view (see Engine.subscribe). */
  subscribe(view: string, listener: (change: Change) => void, options: SubscribeOptions): Subscription {
    if (typeof listener !== 'function') throw new SluiceError('ARGUMENT', 'subscribe takes a view name and a listener function');
    // A view that does not exist is an error now, not a silent subscription to nothing.
    this.s.viewRuntime(view);
    let active = true;
    let registered: ((b: ChangeBatch) => void) | undefined;
    let rt: ViewRuntime | undefined;
    const ready = this.s.queue.run(async () => {
      rt = this.s.viewRuntime(view);
      const schema = rt.def.schema;
      const deliver = (b: ChangeBatch) => {
        if (!active) return;
        for (const c of batchChanges(b, schema)) listener(c);
      };
      if (options.snapshot !== false) deliver(await rt.snapshot());
      registered = deliver;
      if (active) rt.listeners.add(deliver);
    });
    ready.catch(() => undefined);
    return {
      unsubscribe: () => {
        active = false;
        if (rt && registered) rt.listeners.delete(registered);
      },
    };
  }

  /** The changes of a materialized view as an async iterator (see Engine.changes). */
  changes(view: string, options: SubscribeOptions): AsyncIterableIterator<Change> {
    const buffer: Change[] = [];
    let wake: (() => void) | null = null;
    let failure: unknown;
    const sub = this.subscribe(
      view,
      (c) => {
        buffer.push(c);
        wake?.();
      },
      options,
    );
    // Surface a bad view name through the iterator.
    this.s.queue
      .run(async () => void this.s.viewRuntime(view))
      .catch((e) => {
        failure = e;
        wake?.();
      });
    const it: AsyncIterableIterator<Change> = {
      next: async () => {
        for (;;) {
          if (buffer.length > 0) return { value: buffer.shift()!, done: false };
          if (failure) throw failure;
          if (this.s.closed) return { value: undefined, done: true };
          await new Promise<void>((r) => (wake = r));
          wake = null;
        }
      },
      return: async () => {
        sub.unsubscribe();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /** Starts a continuous query (see Engine.live); runs inside the engine's queue. */
  async live(sql: string, listener: (changes: Change[]) => void): Promise<LiveQuery> {
    const { s } = this;
    if (typeof sql !== 'string') throw new SluiceError('ARGUMENT', 'live takes SQL text');
    let statement: Statement;
    try {
      statement = parseStatement(sql);
    } catch (e) {
      throw toSluiceError(e).withSql(sql);
    }
    let plan: LogicalPlan;
    try {
      const bound = bindStatement({ statement, text: sql, sql, baseDir: process.cwd() }, s.catalog);
      if (bound.kind === 'Subscribe') {
        const rt = s.viewRuntime(bound.view);
        plan = viewScanNode(rt.def.name, rt.def, rt.def.schema.map((_, i) => i));
      } else if (bound.kind === 'StreamQuery') {
        plan = bound.plan;
        walkPlan(plan, (n) => {
          if (n.kind === 'Scan' && n.until) throw new SluiceError('BIND', 'an AS OF query is answered once: run it with execute, not live');
        });
      } else {
        throw new SluiceError('BIND', 'a live query is a SELECT over sources or SUBSCRIBE view (a query over views only is a pull query)');
      }
    } catch (e) {
      throw toSluiceError(e).withSql(sql);
    }
    const schema = plan.schema;
    let watermark = -Infinity;
    const pipeline = s.newPipeline(plan, { push: (b) => listener(batchChanges(b, schema)), watermark: (w) => (watermark = w) }, 'live');
    await this.dataflow.attach(pipeline);
    s.liveQueries.add(pipeline);
    const unsubscribe = () => {
      s.liveQueries.delete(pipeline);
      this.dataflow.detach(pipeline);
    };
    this.pump.start();
    return {
      columns: columnsOfSchema(schema),
      stop: () => s.queue.run(async () => unsubscribe()),
      status: () => ({
        watermark: Number.isFinite(watermark) ? new Date(watermark) : watermark > 0 ? 'end of input' : null,
        // A subscription holds no state itself: report the views it follows.
        stateSize:
          pipeline.stateSize() + pipeline.inputs.reduce((n, i) => n + (i.kind === 'view' ? (s.views.get(i.view)?.pipeline?.stateSize() ?? 0) : 0), 0),
      }),
    };
  }

  /** Whether `sql` is one streaming SELECT or SUBSCRIBE that reads a source without end (see Engine.readsUnbounded). */
  readsUnbounded(sql: string): boolean {
    const { s } = this;
    let plan: LogicalPlan;
    try {
      const bound = bindStatement({ statement: parseStatement(sql), text: sql, sql, baseDir: process.cwd() }, s.catalog);
      if (bound.kind === 'StreamQuery') plan = bound.plan;
      else if (bound.kind === 'Subscribe') plan = s.viewRuntime(bound.view).pipeline!.plan;
      else return false;
    } catch {
      return false;
    }
    let unbounded = false;
    const visit = (p: LogicalPlan): void =>
      walkPlan(p, (n) => {
        if (n.kind === 'Scan') {
          const src = s.sources.get(n.source);
          if (src && src.isConnector && !src.bounded) unbounded = true;
        } else if (n.kind === 'ViewScan') {
          const v = s.views.get(n.view)?.pipeline?.plan;
          if (v) visit(v);
        }
      });
    visit(plan);
    return unbounded;
  }
}
