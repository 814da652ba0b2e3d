/**
 * The catalog: every source, view and sink by name (case-insensitive unless quoted: names
 * arrive normalized from the parser), with CREATE [OR REPLACE | IF NOT EXISTS] and DROP
 * semantics and dependency checks.
 */
import { SluiceError, type Span } from '../errors.js';
import { auditTableName, FIXED_SYSTEM_TABLES, logTableName, sourceOffsetsTableName } from './table-names.js';
import { SYSTEM_TABLES, type CatalogEntry, type SinkDef, type SourceDef, type ViewDef } from './definitions.js';

export type CreateMode = { readonly orReplace: boolean; readonly ifNotExists: boolean };

const KIND_WORDS: Record<CatalogEntry['kind'], string> = { source: 'source', view: 'view', sink: 'sink' };

export function describeKind(e: CatalogEntry): string {
  return e.kind === 'view' && e.materialized ? 'materialized view' : KIND_WORDS[e.kind];
}

export class Catalog {
  private readonly entries = new Map<string, CatalogEntry>();

  get(name: string): CatalogEntry | undefined {
    return this.entries.get(name);
  }

  source(name: string): SourceDef | undefined {
    const e = this.entries.get(name);
    return e?.kind === 'source' ? e : undefined;
  }

  view(name: string): ViewDef | undefined {
    const e = this.entries.get(name);
    return e?.kind === 'view' ? e : undefined;
  }

  sink(name: string): SinkDef | undefined {
    const e = this.entries.get(name);
    return e?.kind === 'sink' ? e : undefined;
  }

  sources(): SourceDef[] {
    return [...this.entries.values()].filter((e): e is SourceDef => e.kind === 'source');
  }

  views(): ViewDef[] {
    return [...this.entries.values()].filter((e): e is ViewDef => e.kind === 'view');
  }

  sinks(): SinkDef[] {
    return [...this.entries.values()].filter((e): e is SinkDef => e.kind === 'sink');
  }

  /**
   * Whether `name` is one of the engine's own tables that exists now: a fixed one, the event
   * log of a source fed by the API, or a materialized view's audit trail and source offsets.
   */
  isSystemTable(name: string): boolean {
    if (Object.hasOwn(SYSTEM_TABLES, name) || FIXED_SYSTEM_TABLES.includes(name)) return true;
    return this.all().some((e) =>
      e.kind === 'source'
        ? e.connector === 'none' && name === logTableName(e.name)
        : e.kind === 'view' && e.materialized && (name === auditTableName(e.name) || name === sourceOffsetsTableName(e.name)),
    );
  }

  /**
   * Decides what a CREATE does: 'create' (new name), 'replace' (OR REPLACE of an entry of the
   * same kind), or 'skip' (IF NOT EXISTS and it exists). Throws when the name is taken.
   */
  checkCreate(entry: CatalogEntry, mode: CreateMode, span?: Span): 'create' | 'replace' | 'skip' {
    if (this.isSystemTable(entry.name)) {
      throw new SluiceError('CATALOG', `'${entry.name}' is a system table name`, { span });
    }
    const old = this.entries.get(entry.name);
    if (!old) return 'create';
    if (mode.ifNotExists) return 'skip';
    if (mode.orReplace) {
      if (old.kind !== entry.kind || (old.kind === 'view' && entry.kind === 'view' && old.materialized !== entry.materialized)) {
        throw new SluiceError(
          'CATALOG',
          `cannot replace ${describeKind(old)} '${entry.name}' with a ${describeKind(entry)}`,
          { span },
        );
      }
      return 'replace';
    }
    throw new SluiceError('CATALOG', `${describeKind(old)} '${entry.name}' already exists`, { span });
  }

  /** Adds or replaces an entry (after {@link checkCreate}). */
  put(entry: CatalogEntry): void {
    this.entries.delete(entry.name);
    this.entries.set(entry.name, entry);
  }

  /** Names of the views and sinks that read `name`. */
  dependents(name: string): string[] {
    const out: string[] = [];
    for (const e of this.entries.values()) {
      if (e.kind === 'view' && e.dependsOn.includes(name)) out.push(e.name);
      if (e.kind === 'sink' && e.from === name) out.push(e.name);
    }
    return out;
  }

  /** Removes an entry; refuses while others depend on it. */
  drop(name: string, span?: Span): CatalogEntry {
    const e = this.entries.get(name);
    if (!e) throw new SluiceError('CATALOG', `'${name}' does not exist`, { span });
    const deps = this.dependents(name);
    if (deps.length > 0) {
      throw new SluiceError(
        'CATALOG',
        `cannot drop ${describeKind(e)} '${name}': ${deps.map((d) => `'${d}'`).join(', ')} depend${deps.length === 1 ? 's' : ''} on it`,
        { span },
      );
    }
    this.entries.delete(name);
    return e;
  }

  /** Every entry in creation order (the order the durable catalog replays). */
  all(): CatalogEntry[] {
    return [...this.entries.values()];
  }
}
