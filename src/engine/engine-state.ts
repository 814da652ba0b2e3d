/**
 * What the parts of an engine share: the catalog and settings, the DuckDB database and the
 * stores in it, the running sources, views, sinks and live queries, and the call queue.
 * The modules (statements, inserts, checkpoints, pull queries, subscriptions, the pump) each
 * take this one object rather than reaching into the Engine.
 */
import { Catalog, describeKind } from '../catalog/catalog.js';
import type { SinkDef } from '../catalog/definitions.js';
import { Settings } from '../catalog/settings.js';
import type { SinkWriter } from '../connectors/sinks/sink-writer.js';
import { SluiceError } from '../errors.js';
import type { LateRecord } from '../exec/operator.js';
import { Pipeline } from '../exec/pipeline.js';
import type { LogicalPlan } from '../plan/logical-plan.js';
import { CatalogStore } from '../state/catalog-store.js';
import { CheckpointStore } from '../state/checkpoint-store.js';
import type { Database } from '../state/database.js';
import { SystemTables } from '../state/system-tables.js';
import { CallQueue } from './call-queue.js';
import type { SourceRuntime } from './source-runtime.js';
import { ViewHistory } from './view-history.js';
import type { ViewRuntime } from './view-runtime.js';

/** A sink while the engine runs: its pipeline and where it writes. */
export interface SinkRuntime {
  readonly def: SinkDef;
  readonly pipeline: Pipeline;
  readonly writer: SinkWriter;
}

export class EngineState {
  readonly catalog = new Catalog();
  readonly settings = new Settings();
  readonly sources = new Map<string, SourceRuntime>();
  readonly views = new Map<string, ViewRuntime>();
  readonly sinks = new Map<string, SinkRuntime>();
  /** The pipelines of running `live` queries (the pump reads sources while any runs). */
  readonly liveQueries = new Set<Pipeline>();
  readonly system: SystemTables;
  readonly catalogStore: CatalogStore;
  readonly checkpoints: CheckpointStore;
  /** Retained view snapshots: AS OF replays from the nearest one. */
  readonly history: ViewHistory;
  readonly queue = new CallQueue(() => this.closed);
  closed = false;

  constructor(
    readonly db: Database,
    /** The database file; null in memory, where nothing is recovered. */
    readonly path: string | null,
  ) {
    this.system = new SystemTables(db);
    this.catalogStore = new CatalogStore(db);
    this.checkpoints = new CheckpointStore(db);
    this.history = new ViewHistory({
      db,
      checkpoints: this.checkpoints,
      source: (name) => this.sources.get(name),
      newPipeline: (plan, out) => this.newPipeline(plan, out, 'query'),
      batchSize: () => this.batchSize(),
    });
  }

  batchSize(): number {
    return this.settings.number('batch_size');
  }

  /** The running source a caller names (case-insensitively); API inserts need one without a connector. */
  sourceRuntime(name: string, anyConnector = false): SourceRuntime {
    if (typeof name !== 'string') throw new SluiceError('ARGUMENT', 'a source name must be a string');
    const rt = this.sources.get(name) ?? this.sources.get(name.toLowerCase());
    if (!rt) {
      const e = this.catalog.get(name.toLowerCase());
      if (!e && this.catalog.isSystemTable(name.toLowerCase())) {
        throw new SluiceError('IMMUTABLE', `'${name}' is a system table: it is read-only (sluice writes it)`);
      }
      throw new SluiceError('CATALOG', e ? `'${name}' is a ${describeKind(e)}, not a source` : `source '${name}' does not exist`);
    }
    if (!anyConnector && rt.isConnector) {
      throw new SluiceError('ARGUMENT', `source '${rt.name}' reads from its ${rt.def.connector} connector: it takes no inserts`);
    }
    return rt;
  }

  /** The running materialized view a caller names (case-insensitively). */
  viewRuntime(name: string): ViewRuntime {
    if (typeof name !== 'string') throw new SluiceError('ARGUMENT', 'a view name must be a string');
    const rt = this.views.get(name) ?? this.views.get(name.toLowerCase());
    if (!rt) {
      const e = this.catalog.get(name.toLowerCase());
      throw new SluiceError('CATALOG', e ? `'${name}' is a ${describeKind(e)}, not a materialized view` : `materialized view '${name}' does not exist`);
    }
    return rt;
  }

  /** A pipeline whose late events are recorded under `owner` (a view, a sink, 'query', 'live'). */
  newPipeline(plan: LogicalPlan, out: ConstructorParameters<typeof Pipeline>[1], owner: string): Pipeline {
    return new Pipeline(plan, out, {
      ctx: { owner, recordLate: (records: readonly LateRecord[]) => this.system.recordLate(owner, records) },
      idleTimeout: (s) => this.sources.get(s)?.idleTimeoutMs ?? null,
    });
  }
}
