/**
 * The postgres sink: keeps a PostgreSQL table equal to a view (the CQRS read model). Changes
 * are applied by the view's key — an insert or update upserts the key's row, a delete removes
 * it — and each transaction that applies them also stores how many changes the table now
 * holds in `sluice_sink_positions (sink, partition, position)`. After a crash the engine
 * replays from its last checkpoint, which can be behind Postgres: the replayed changes up to
 * Postgres' stored position are skipped, so the table ends exactly as without the crash.
 */
// Loaded on first connect: a job without a postgres sink (and `sluice run`'s start-up) skips it.
import type pg from 'pg';
import { SluiceError } from '../../errors.js';
import { columnsOf, OP_DELETE, OP_UPDATE_BEFORE, readValue, type ChangeBatch } from '../../exec/batch.js';
import { formatDate } from '../../plan/functions.js';
import type { SqlType, Value } from '../../types.js';
import { formatDecimal, isDecimal, precisionOf, scaleOf } from '../../decimal.js';
import type { SinkInit, SinkWriter } from './sink-writer.js';

const OPTIONS = ['connector', 'url', 'table', 'key', 'partition'];
/** Rows per INSERT statement: 1,000 rows of up to 65 columns stay under Postgres' 65,535 parameters. */
const ROWS_PER_STATEMENT = 1000;
/** Buffered changes that start a background flush, so a long run reaches Postgres as it goes. */
const FLUSH_AT = 8192;

/** The Postgres column type of a sluice type (SPEC 5). */
export function postgresType(t: SqlType): string {
  switch (t) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT':
      return 'integer';
    case 'BIGINT':
      return 'bigint';
    case 'DOUBLE':
      return 'double precision';
    case 'VARCHAR':
    case 'NULL':
      return 'text';
    case 'TIMESTAMP':
      return 'timestamptz';
    case 'DATE':
      return 'date';
    case 'INTERVAL':
      return 'interval';
    default:
      return `numeric(${precisionOf(t)},${scaleOf(t)})`;
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A `schema.table` or `table` option as a quoted Postgres name. */
function quoteTable(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}

function pgValue(v: Value, t: SqlType): unknown {
  if (v === null) return null;
  if (t === 'TIMESTAMP') return new Date(v as number);
  if (t === 'DATE') return formatDate(v as number);
  if (t === 'INTERVAL') return `${v as number} milliseconds`;
  // DECIMAL: the exact digits as text, which Postgres reads into numeric without rounding.
  if (isDecimal(t)) return formatDecimal(v as number, scaleOf(t));
  return v;
}

/** One change after folding a flush's changes per key: the row to upsert, or null to delete. */
type Latest = { readonly row: unknown[] | null };

export class PostgresSink implements SinkWriter {
  private readonly url: string;
  private readonly table: string;
  private readonly key: readonly number[];
  /**
   * `partition`: the row of sluice_sink_positions this sink keeps ('' by default). A
   * scale-out group runs one pipeline per partition, each with its own position, and none
   * of them may empty the table the others fill.
   */
  private readonly partition: string;
  private client: pg.Client | null = null;
  private pending: { op: number; row: unknown[] }[] = [];
  /** Changes written to this sink so far, counted from the start of its output. */
  private written: number;
  /** Changes Postgres holds: replayed changes up to here are already applied. */
  private applied = -1;
  private chain: Promise<unknown> = Promise.resolve();
  private failure: SluiceError | null = null;

  constructor(private readonly init: SinkInit) {
    const opts = init.options;
    for (const k of Object.keys(opts)) {
      if (!OPTIONS.includes(k)) throw new SluiceError('CONNECTOR', `sink '${init.name}': unknown option '${k}' (postgres sinks take url, table and key)`);
    }
    const url = opts['url'];
    if (typeof url !== 'string' || url === '') throw new SluiceError('CONNECTOR', `sink '${init.name}' needs WITH (url = 'postgres://…')`);
    this.url = url;
    const table = opts['table'] ?? init.name;
    if (typeof table !== 'string' || table === '') throw new SluiceError('CONNECTOR', `sink '${init.name}': table must be a name`);
    this.table = table;
    const keyOpt = opts['key'];
    if (keyOpt !== undefined) {
      const names = String(keyOpt).split(',').map((s) => s.trim()).filter((s) => s !== '');
      this.key = names.map((n) => {
        const i = init.schema.findIndex((c) => c.name.toLowerCase() === n.toLowerCase());
        if (i < 0) throw new SluiceError('CONNECTOR', `sink '${init.name}': key column '${n}' is not a column of its input (${init.schema.map((c) => c.name).join(', ')})`);
        return i;
      });
    } else {
      this.key = init.key ?? [];
    }
    if (!init.appendOnly && this.key.length === 0) {
      throw new SluiceError(
        'CONNECTOR',
        `sink '${init.name}': its input is a changelog without a key; name the columns that identify a row with WITH (key = 'col, …')`,
      );
    }
    const partition = opts['partition'] ?? '';
    if (typeof partition !== 'string') throw new SluiceError('CONNECTOR', `sink '${init.name}': partition must be a string`);
    this.partition = partition;
    this.written = init.resumeAt ?? 0;
  }

  write(batch: ChangeBatch): void {
    const cols = columnsOf(batch);
    const schema = this.init.schema;
    for (let i = 0; i < batch.length; i++) {
      const row = schema.map((c, j) => pgValue(readValue(cols[j]!, i, c.type), c.type));
      this.pending.push({ op: batch.ops === null ? 0 : batch.ops[i]!, row });
    }
    if (this.pending.length >= FLUSH_AT) this.chain = this.chain.then(() => this.push()).catch((e) => (this.failure = toConnectorError(this.init.name, e)));
  }

  async flush(): Promise<number> {
    await (this.chain = this.chain.then(() => this.push()));
    if (this.failure) {
      const f = this.failure;
      this.failure = null;
      throw f;
    }
    return this.written;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.client?.end().catch(() => undefined);
      this.client = null;
    }
  }

  /** Connects, creates the tables if missing, and reads (or, for a new sink, resets) the position. */
  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({ connectionString: this.url });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw toConnectorError(this.init.name, e);
    }
    const name = this.init.name;
    const cols = this.init.schema.map((c) => `${quoteIdent(c.name)} ${postgresType(c.type)}`);
    // NULLS NOT DISTINCT: a GROUP BY may have a NULL group, which a primary key would refuse.
    if (this.key.length > 0) cols.push(`UNIQUE NULLS NOT DISTINCT (${this.key.map((i) => quoteIdent(this.init.schema[i]!.name)).join(', ')})`);
    try {
      // Sinks starting side by side (a group's partitions) would race in CREATE TABLE IF NOT
      // EXISTS, which PostgreSQL does not make atomic: a lock held to the commit orders them.
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('sluice sink tables'))`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS sluice_sink_positions (sink text NOT NULL, partition text NOT NULL, position bigint NOT NULL, PRIMARY KEY (sink, partition))',
      );
      await client.query(`CREATE TABLE IF NOT EXISTS ${quoteTable(this.table)} (${cols.join(', ')})`);
      await client.query('COMMIT');
      if (this.init.resumeAt === undefined && this.partition !== '') {
        // A partition's pipeline starting without a snapshot: an earlier owner may have
        // applied changes before its first snapshot; they are replayed and skipped by position.
        await client.query(`INSERT INTO sluice_sink_positions VALUES ($1, $2, 0) ON CONFLICT (sink, partition) DO NOTHING`, [name, this.partition]);
        const r = await client.query<{ position: string }>(`SELECT position FROM sluice_sink_positions WHERE sink = $1 AND partition = $2`, [name, this.partition]);
        this.applied = Number(r.rows[0]!.position);
      } else if (this.init.resumeAt === undefined) {
        // A new sink starts its output anew, as a file sink truncates its file.
        await client.query('BEGIN');
        await client.query(`DELETE FROM ${quoteTable(this.table)}`);
        await client.query(
          `INSERT INTO sluice_sink_positions VALUES ($1, '', 0) ON CONFLICT (sink, partition) DO UPDATE SET position = 0`,
          [name],
        );
        await client.query('COMMIT');
        this.applied = 0;
      } else {
        const r = await client.query<{ position: string }>(`SELECT position FROM sluice_sink_positions WHERE sink = $1 AND partition = $2`, [name, this.partition]);
        this.applied = r.rows.length > 0 ? Number(r.rows[0]!.position) : 0;
        if (this.applied < this.init.resumeAt) {
          throw new SluiceError(
            'CONNECTOR',
            `sink '${name}': table ${this.table} holds ${this.applied} changes, fewer than the ${this.init.resumeAt} of the engine's last checkpoint (was the table changed by hand?)`,
          );
        }
      }
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
      throw toConnectorError(name, e);
    }
    this.client = client;
    return client;
  }

  /** Applies the buffered changes and the new position in one transaction. */
  private async push(): Promise<void> {
    const client = await this.connect();
    const changes = this.pending;
    this.pending = [];
    const first = this.written;
    this.written += changes.length;
    // Replayed changes that Postgres already holds. Only an append-only input is skipped by
    // count: a changelog's changes depend on how a replay cuts batches, but upserting full
    // rows by key is idempotent, so re-applying them ends in the same table.
    const skip = this.key.length > 0 ? 0 : Math.max(0, Math.min(changes.length, this.applied - first));
    const todo = skip === 0 ? changes : changes.slice(skip);
    if (todo.length === 0) return;
    try {
      await client.query('BEGIN');
      if (this.key.length > 0) await this.applyKeyed(client, todo);
      else await this.insertRows(client, todo.map((c) => c.row));
      await client.query(`UPDATE sluice_sink_positions SET position = $3 WHERE sink = $1 AND partition = $2`, [this.init.name, this.partition, this.written]);
      await client.query('COMMIT');
      this.applied = this.written;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw toConnectorError(this.init.name, e);
    }
  }

  /** Folds the changes per key (the last one wins), then deletes and upserts in bulk. */
  private async applyKeyed(client: pg.Client, changes: readonly { op: number; row: unknown[] }[]): Promise<void> {
    const latest = new Map<string, Latest>();
    for (const c of changes) {
      const k = JSON.stringify(this.key.map((i) => c.row[i]));
      const retract = c.op === OP_DELETE || c.op === OP_UPDATE_BEFORE;
      latest.delete(k);
      latest.set(k, { row: retract ? null : c.row });
    }
    const keyNames = this.key.map((i) => quoteIdent(this.init.schema[i]!.name));
    const deletes: unknown[][] = [];
    const upserts: unknown[][] = [];
    for (const [k, l] of latest) {
      if (l.row === null) deletes.push(JSON.parse(k) as unknown[]);
      else upserts.push(l.row);
    }
    for (let s = 0; s < deletes.length; s += ROWS_PER_STATEMENT) {
      const part = deletes.slice(s, s + ROWS_PER_STATEMENT);
      const params: unknown[] = [];
      const types = this.key.map((i) => postgresType(this.init.schema[i]!.type));
      const tuples = part.map((key) => `(${key.map((v, j) => `$${params.push(v)}::${types[j]}`).join(', ')})`);
      const match = keyNames.map((k, j) => `t.${k} IS NOT DISTINCT FROM d.k${j}`).join(' AND ');
      await client.query(
        `DELETE FROM ${quoteTable(this.table)} t USING (VALUES ${tuples.join(', ')}) AS d(${keyNames.map((_, j) => `k${j}`).join(', ')}) WHERE ${match}`,
        params,
      );
    }
    const others = this.init.schema.map((c, i) => ({ c, i })).filter(({ i }) => !this.key.includes(i));
    const onConflict =
      others.length === 0
        ? `ON CONFLICT (${keyNames.join(', ')}) DO NOTHING`
        : `ON CONFLICT (${keyNames.join(', ')}) DO UPDATE SET ${others.map(({ c }) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`).join(', ')}`;
    await this.insertRows(client, upserts, onConflict);
  }

  private async insertRows(client: pg.Client, rows: readonly unknown[][], suffix = ''): Promise<void> {
    const names = this.init.schema.map((c) => quoteIdent(c.name)).join(', ');
    for (let s = 0; s < rows.length; s += ROWS_PER_STATEMENT) {
      const part = rows.slice(s, s + ROWS_PER_STATEMENT);
      const params: unknown[] = [];
      const tuples = part.map((row) => `(${row.map((v) => `$${params.push(v)}`).join(', ')})`);
      await client.query(`INSERT INTO ${quoteTable(this.table)} (${names}) VALUES ${tuples.join(', ')} ${suffix}`, params);
    }
  }
}

function toConnectorError(sink: string, e: unknown): SluiceError {
  if (e instanceof SluiceError) return e;
  return new SluiceError('CONNECTOR', `sink '${sink}': postgres: ${(e as Error).message}`);
}
