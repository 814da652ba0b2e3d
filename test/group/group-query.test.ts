/**
 * Pull queries and read-your-writes across a scale-out group (SPEC 2.7, 8): a member inside
 * the application (GroupMember) and a `sluice run --group` process share the partitions;
 * events inserted through the API member are in the answer of the very next query with
 * `after`, on partitions either member owns, for a job split by its key and for one
 * repartitioned by another column. The answer is compared with DuckDB's batch SQL over the
 * same events. Real NATS, DuckDB and CLI processes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { GroupMember } from '../../src/group/group-member.js';
import { SERVERS, stream } from '../connectors/nats-helpers.js';
import { useDuck } from '../exec/operators/duck.js';
import { stable, startMember, stopAll, untilStatus, useGroupTestEnv } from './group-helpers.js';

const tag = `gq${process.pid}`;
const BASE = Date.UTC(2024, 0, 1);
const env = useGroupTestEnv(tag);
const duckdb = useDuck();

interface Event {
  readonly k: number;
  readonly c: number;
  readonly v: number;
  readonly ms: number;
}

/** A job keyed by k; `by` is the column its views group by (c: repartitioned). */
function job(src: { stream: string; prefix: string }, by: 'k' | 'c', run: string): string {
  const file = join(env.dir, `${run}.sql`);
  writeFileSync(
    file,
    `CREATE SOURCE orders (k BIGINT, c BIGINT, v DECIMAL(12,2), ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
       WITH (connector = 'nats', servers = '${SERVERS}', stream = '${src.stream}', subject = '${src.prefix}.*', partitions = 4, key = 'k');
     SET checkpoint_interval = '300 milliseconds';
     CREATE MATERIALIZED VIEW totals AS SELECT ${by}, SUM(v) AS s, COUNT(*) AS n, MAX(ts) AS last FROM orders GROUP BY ${by};
     CREATE MATERIALIZED VIEW big AS SELECT k, c, v FROM orders WHERE v >= 90;`,
  );
  return file;
}

function events(from: number, to: number): Event[] {
  const out: Event[] = [];
  for (let i = from; i < to; i++) out.push({ k: (i * 7919) % 23, c: (i * 31) % 5, v: (i % 100) + 0.25, ms: i * 10 });
  return out;
}

const rows = (evs: readonly Event[]) => evs.map((e) => ({ k: e.k, c: e.c, v: e.v.toFixed(2), ts: new Date(BASE + e.ms) }));

/** The same query over all events, in DuckDB, as sorted JSON lines. */
async function oracle(evs: readonly Event[], sql: string): Promise<string[]> {
  await duckdb().run(`CREATE OR REPLACE TABLE orders (k BIGINT, c BIGINT, v DECIMAL(12,2), ts TIMESTAMP)`);
  if (evs.length > 0) await duckdb().run(`INSERT INTO orders VALUES ${evs.map((e) => `(${e.k}, ${e.c}, ${e.v.toFixed(2)}, make_timestamp(${(BASE + e.ms) * 1000}))`).join(', ')}`);
  const r = (await duckdb().runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  return r.map((x) => JSON.stringify(Object.values(x).map(norm))).sort();
}

/** DECIMALs are compared as text (sluice returns them as strings at their scale; the oracle casts them). */
function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  return v;
}

/**
 * What the members send to answer queries, read off the wire: every view part on an inbox,
 * assembled per answer (inbox, task, epoch) at its closing message. `rowsSent` counts the
 * rows of the answers closed since the last call, per view, by reading their Parquet.
 */
function wireTap(nc: NatsConnection) {
  const open = new Map<string, Map<string, Buffer[]>>();
  let closed: { view: string; bytes: Buffer }[] = [];
  const sub = nc.subscribe('_INBOX.>', {
    callback: (err, m) => {
      const kind = m.headers?.get('Sluice-Kind');
      if (err !== null || (kind !== 'part' && kind !== 'done')) return;
      const key = `${m.subject}|${m.headers!.get('Sluice-Task')}|${m.headers!.get('Sluice-Epoch')}`;
      if (kind === 'part') {
        const views = open.get(key) ?? new Map<string, Buffer[]>();
        open.set(key, views);
        const v = m.headers!.get('Sluice-View');
        views.set(v, [...(views.get(v) ?? []), Buffer.from(m.data)]);
        return;
      }
      for (const [view, parts] of open.get(key) ?? []) closed.push({ view, bytes: Buffer.concat(parts) });
      open.delete(key);
    },
  });
  return {
    async rowsSent(): Promise<Record<string, number>> {
      await nc.flush();
      const out: Record<string, number> = {};
      for (const [i, { view, bytes }] of closed.entries()) {
        const file = join(env.dir, `tap-${i}.parquet`);
        writeFileSync(file, bytes);
        const r = await duckdb().runAndReadAll(`SELECT count(*) FROM read_parquet('${file}')`);
        out[view] = (out[view] ?? 0) + Number(r.getRows()[0]![0]);
      }
      closed = [];
      return out;
    },
    stop: () => sub.unsubscribe(),
  };
}

const lines = (r: readonly Record<string, unknown>[]) => r.map((x) => JSON.stringify(Object.values(x).map(norm))).sort();

describe('queries across a scale-out group', () => {
  for (const by of ['k', 'c'] as const) {
    it(`reads its own writes on any member (views by ${by === 'k' ? 'the key' : 'another column: repartitioned'})`, async () => {
      const src = await stream(env.nats, `q${by}`);
      const g = `${tag}_${by}`;
      env.groups.push(g);
      const file = job(src, by, by);
      const other = startMember(file, g, join(env.dir, `${by}-cli.duckdb`));
      env.members.push(other);
      await other.id;
      const api = await GroupMember.join(file, { group: g, db: join(env.dir, `${by}-api.duckdb`) });
      const tap = wireTap(env.nats.nc);
      try {
        await untilStatus(g, 'two members sharing the partitions', stable(2));
        const totals = `SELECT ${by}, s, n, epoch_ms(last) FROM totals`;
        const all: Event[] = [];
        for (const [from, to] of [
          [0, 1],
          [1, 200],
          [200, 203],
        ] as const) {
          const evs = events(from, to);
          const written = await api.insert('orders', rows(evs));
          all.push(...evs);
          expect(written.offsets).toHaveLength(evs.length);
          const got = await api.query(`${totals}`, [], { after: { orders: written } });
          expect(lines(got)).toEqual(await oracle(all, `SELECT ${by}, CAST(SUM(v) AS VARCHAR), COUNT(*), epoch_ms(MAX(ts)) FROM orders GROUP BY ${by}`));
        }
        // Parameters, and a second view; every key lives on one partition.
        const big = await api.query('SELECT k, COUNT(*) AS n FROM big WHERE v >= ? GROUP BY k', [95]);
        expect(lines(big)).toEqual(await oracle(all, 'SELECT k, COUNT(*) FROM orders WHERE v >= 95 GROUP BY k'));
        expect((await api.query('SELECT COUNT(*) AS n FROM big'))[0]!['n']).toBe(all.filter((e) => e.v >= 90).length);
        // Lookups: the members send only the rows the WHERE pins (a parameter, a literal, a
        // timestamp parameter, a SELECT alias that is no view column and so filters nothing),
        // counted on the wire.
        const groups = by === 'k' ? 23 : 5;
        await tap.rowsSent();
        const one = await api.query(`SELECT ${by}, s, n FROM totals WHERE ${by} = ?`, [3]);
        expect(lines(one)).toEqual(await oracle(all, `SELECT ${by}, CAST(SUM(v) AS VARCHAR), COUNT(*) FROM orders WHERE ${by} = 3 GROUP BY ${by}`));
        expect(await tap.rowsSent()).toEqual({ totals: 1 });
        const lit = await api.query('SELECT b.k, b.c, b.v FROM big b WHERE b.k = 5 AND 95.25 = v');
        expect(lines(lit)).toEqual(await oracle(all, 'SELECT k, c, CAST(v AS VARCHAR) FROM orders WHERE v >= 90 AND k = 5 AND v = 95.25'));
        expect(await tap.rowsSent()).toEqual({ big: lit.length });
        const lastOf3 = new Date(BASE + Math.max(...all.filter((e) => e[by] === 3).map((e) => e.ms)));
        expect(lines(await api.query(`SELECT ${by} FROM totals WHERE last = ?`, [lastOf3]))).toEqual(
          await oracle(all, `SELECT ${by} FROM orders GROUP BY ${by} HAVING MAX(ts) = make_timestamp(${lastOf3.getTime() * 1000})`),
        );
        expect((await tap.rowsSent())['totals']).toBeLessThan(groups);
        const aliased = await api.query(`SELECT n AS x, ${by} FROM totals WHERE x = ?`, [all.filter((e) => e[by] === 3).length]);
        expect(lines(aliased)).toEqual(await oracle(all, `SELECT COUNT(*) AS x, ${by} FROM orders GROUP BY ${by} HAVING x = ${all.filter((e) => e[by] === 3).length}`));
        expect(await tap.rowsSent()).toEqual({ totals: groups });
        // An offset the stream has not reached yet: nothing consumed it.
        const last = (await env.nats.jsm.streams.info(src.stream)).state.last_seq;
        await expect(api.query('SELECT * FROM totals', [], { after: { orders: last + 100 }, timeout: 400 })).rejects.toMatchObject({ code: 'TIMEOUT' });
        await expect(api.query('SELECT * FROM totals', [], { after: { nope: 1 } })).rejects.toMatchObject({ code: 'CATALOG' });
        await expect(api.insert('nope', [])).rejects.toMatchObject({ code: 'CATALOG' });
        if (by === 'k') {
          // The other member dies with events of its partitions unread: the query waits until the survivor owns them and has read them.
          const evs = events(203, 400);
          other.child.kill('SIGKILL');
          const written = await api.insert('orders', rows(evs));
          all.push(...evs);
          const got = await api.query(totals, [], { after: { orders: written }, timeout: 30_000 });
          expect(lines(got)).toEqual(await oracle(all, `SELECT k, CAST(SUM(v) AS VARCHAR), COUNT(*), epoch_ms(MAX(ts)) FROM orders GROUP BY k`));
        }
      } finally {
        tap.stop();
        await api.close();
        await expect(api.query('SELECT * FROM totals')).rejects.toMatchObject({ code: 'STATE' });
        await expect(api.insert('orders', [])).rejects.toMatchObject({ code: 'STATE' });
        if (other.child.exitCode === null && other.child.signalCode === null) await stopAll([other]);
      }
    });
  }
});
