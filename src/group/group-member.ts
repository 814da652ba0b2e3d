/**
 * A scale-out group member inside an application (SPEC 8, 2.7), and `sluice run job.sql
 * --group NAME`. The member itself lives in member-runtime.ts, loaded when one starts: an
 * application that never joins a group does not load the NATS client.
 */
import type { InsertResult, QueryOptions } from '../engine/api-types.js';
import type { Row } from '../engine/rows.js';
import type { SluiceError } from '../errors.js';
import type { RunningMember } from './member-runtime.js';

export interface GroupRunOptions {
  readonly group: string;
  /** The member's local files go beside it (`<db>.group-<name>/`); a temporary folder without it. */
  readonly db?: string;
  readonly servers?: string;
}

/** Options of {@link GroupMember.join}. */
export interface GroupJoinOptions extends GroupRunOptions {
  /** Called once if the member fails (it lost its lease, NATS went away, a partition's pipeline failed); it has stopped then. */
  readonly onError?: (error: SluiceError) => void;
  /** Called with the member's id as soon as it has one, before it takes partitions. */
  readonly onId?: (id: string) => void;
}

/**
 * One member of a scale-out group inside an application: it runs the job's partitions it is
 * given, as `sluice run job.sql --group NAME` does, and answers pull queries over the whole
 * group's views, with read-your-writes (SPEC 2.7).
 *
 * @example
 * const member = await GroupMember.join('job.sql', { group: 'orders', db: 'member1.duckdb' });
 * const written = await member.insert('orders', [{ customer: 7, amount: 12.5, ts: new Date() }]);
 * await member.query('SELECT * FROM totals WHERE customer = ?', [7], { after: { orders: written } });
 * await member.close(); // hands its partitions over
 */
export class GroupMember {
  private constructor(private readonly m: RunningMember) {}

  /** Joins (or starts) group `options.group` running the job in `files`; resolves once it has taken its first partitions. */
  static async join(files: string | readonly string[], options: GroupJoinOptions): Promise<GroupMember> {
    const { RunningMember } = await import('./member-runtime.js');
    return new GroupMember(await RunningMember.join(files, options));
  }

  /** This member's id (as `sluice group status` lists it). */
  get id(): string {
    return this.m.id;
  }

  /** Resolves when the member stops by itself (it failed; see `onError`), never while it runs. */
  get stopped(): Promise<void> {
    return this.m.stopped;
  }

  /**
   * Publishes events to a nats source of the job: each to the partition of its `key`
   * column's value (round robin without one). Resolves once JetStream has stored them, with
   * their stream sequences as `offsets`, for `query(…, { after })` on any member.
   */
  insert(source: string, rows: readonly object[]): Promise<InsertResult> {
    return this.m.insert(source, rows);
  }

  /**
   * A pull query over the whole group's materialized views (any DuckDB SQL over them, `?`
   * parameters). With `after`, it first waits until every partition holding the views it
   * reads has consumed those offsets (stream sequences, as `insert` returns them) of their
   * sources, up to `timeout` ms (default 10,000), else rejects with code TIMEOUT.
   */
  query(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<Row[]> {
    return this.m.query(sql, params, options);
  }

  /** Leaves the group: a final checkpoint of each partition it owns, handed over to the others. Rejects if the member had failed. */
  close(): Promise<void> {
    return this.m.close();
  }
}

/** A member's line on stderr (its id, partitions taken and handed over). */
export function log(line: string): void {
  process.stderr.write(line + '\n');
}

/** Runs a group member until SIGINT/SIGTERM (then hands its partitions over and exits 0) or a failure. */
export async function runGroupMember(files: readonly string[], options: GroupRunOptions): Promise<void> {
  let signalled: () => void = () => undefined;
  const signal = new Promise<void>((r) => (signalled = r));
  process.on('SIGINT', signalled);
  process.on('SIGTERM', signalled);
  try {
    const member = await GroupMember.join(files, { ...options, onId: (id) => log(`sluice: group '${options.group}' member ${id}`) });
    try {
      await Promise.race([signal, member.stopped]);
    } finally {
      await member.close();
    }
  } finally {
    process.off('SIGINT', signalled);
    process.off('SIGTERM', signalled);
  }
}
