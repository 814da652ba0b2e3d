import { describe, expect, it } from 'vitest';
import {
  eventOfRow,
  lastBase0AuctionId,
  lastBase0PersonId,
  NexmarkGenerator,
  rowsBefore,
  tableOfEvent,
  type NexmarkConfig,
} from '../../src/connectors/nexmark/generator.js';
import { CHANNELS_NUMBER, EXTRA_RANGE, FIRST_NAMES, HOT_CHANNELS, LAST_NAMES, US_CITIES, US_STATES } from '../../src/connectors/nexmark/pools.js';
import { NEXMARK_SCHEMAS, type NexmarkTable } from '../../src/connectors/nexmark/schemas.js';
import { openSourceReader } from '../../src/connectors/source-reader.js';
import { rowsOf } from '../../src/exec/batch.js';
import type { Schema, Value } from '../../src/types.js';
import { readAll } from './helpers.js';

const BASE = Date.UTC(2024, 0, 1);

/**
 * Collects rule violations instead of calling expect per row (tens of thousands of expect
 * calls take seconds); the test then expects the list to be empty.
 */
class Violations {
  readonly list: string[] = [];
  check(ok: boolean, what: () => string): void {
    if (!ok && this.list.length < 10) this.list.push(what());
  }
}

interface Generated {
  rows: Value[][];
  events: number[];
}

function generate(table: NexmarkTable, config: NexmarkConfig, maxRows = 8192, columns?: string[]): Generated {
  const g = new NexmarkGenerator(table, config, columns ? { columns } : {});
  const out: Generated = { rows: [], events: [] };
  for (let b = g.nextBatch(maxRows); b !== null; b = g.nextBatch(maxRows)) {
    out.rows.push(...rowsOf(b.data, g.schema));
    out.events.push(...b.events);
  }
  return out;
}

/** Rows as objects keyed by column name. */
function objects(table: NexmarkTable, g: Generated): Record<string, Value>[] {
  const cols = NEXMARK_SCHEMAS[table];
  return g.rows.map((r) => Object.fromEntries(cols.map((c, j) => [c.name, r[j]!])));
}

const EVENTS = 50_000;
const full = {
  person: generate('person', { events: EVENTS }),
  auction: generate('auction', { events: EVENTS }),
  bid: generate('bid', { events: EVENTS }),
};
const person = objects('person', full.person);
const auction = objects('auction', full.auction);
const bid = objects('bid', full.bid);

describe('nexmark generator', () => {
  it('splits the sequence 1 : 3 : 46 and covers every event number exactly once', () => {
    expect([generate('person', { events: 50 }), generate('auction', { events: 50 }), generate('bid', { events: 50 })].map((g) => g.rows.length)).toEqual([
      1, 3, 46,
    ]);
    expect([generate('person', { events: 5000 }), generate('auction', { events: 5000 }), generate('bid', { events: 5000 })].map((g) => g.rows.length)).toEqual([
      100, 300, 4600,
    ]);
    const all = [...full.person.events, ...full.auction.events, ...full.bid.events].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
    for (const t of ['person', 'auction', 'bid'] as const) expect(full[t].events.every((n) => tableOfEvent(n) === t)).toBe(true);
    // events = 73: 2 people (0, 50), 6 auctions, 65 bids (46 + 19).
    expect(generate('bid', { events: 73 }).rows.length).toBe(65);
    expect(rowsBefore('bid', 73)).toBe(65);
    expect(eventOfRow('bid', 46)).toBe(54);
  });

  it('is deterministic for a seed, and seeds differ', () => {
    for (const t of ['person', 'auction', 'bid'] as const) {
      const again = generate(t, { events: EVENTS });
      expect(again).toEqual(full[t]);
      const other = generate(t, { events: EVENTS, seed: 7 });
      expect(other.events).toEqual(full[t].events);
      expect(other.rows).not.toEqual(full[t].rows);
    }
  });

  it('does not depend on batch sizes, resume points or the events bound', () => {
    for (const t of ['person', 'auction', 'bid'] as const) {
      const events = 6000;
      const ref = generate(t, { events });
      for (const maxRows of [1, 7, 1000]) expect(generate(t, { events }, maxRows)).toEqual(ref);
      // A longer sequence starts with the same rows: a row depends on its event number only.
      const longer = generate(t, { events: events * 2 });
      expect(longer.rows.slice(0, ref.rows.length)).toEqual(ref.rows);
      // Resuming at any event number gives the rows from there on.
      for (const start of [1, 49, 50, 51, 2345]) {
        const g = new NexmarkGenerator(t, { events }, { startEvent: start });
        const rest: Value[][] = [];
        for (let b = g.nextBatch(333); b !== null; b = g.nextBatch(333)) rest.push(...rowsOf(b.data, g.schema));
        const skip = ref.events.findIndex((n) => n >= start);
        expect(rest).toEqual(ref.rows.slice(skip));
      }
    }
  });

  it('gives the same rows when a batch is too large for the precomputed string windows', () => {
    expect(generate('bid', { events: EVENTS }, 60_000)).toEqual(full.bid);
    const auctions = generate('auction', { events: 400_000 }, 1000, ['id', 'description', 'extra']);
    expect(generate('auction', { events: 400_000 }, 30_000, ['id', 'description', 'extra'])).toEqual(auctions);
  });

  it('generates a column subset equal to projecting the full rows', () => {
    const sub = generate('bid', { events: 5000 }, 8192, ['price', 'date_time', 'auction']);
    const all = objects('bid', generate('bid', { events: 5000 }));
    expect(sub.rows).toEqual(all.map((r) => [r['price'], r['date_time'], r['auction']]));
  });

  it('numbers people and auctions from 1000 in event order', () => {
    expect(person[0]!['id']).toBe(1000);
    expect(auction[0]!['id']).toBe(1000);
    expect(person.map((p) => p['id'])).toEqual(person.map((_, k) => 1000 + k));
    expect(auction.map((a) => a['id'])).toEqual(auction.map((_, k) => 1000 + k));
    expect(full.auction.events.map(lastBase0AuctionId)).toEqual(auction.map((_, k) => k));
    expect(full.person.events.map(lastBase0PersonId)).toEqual(person.map((_, k) => k));
  });

  it('stamps event time base + n·10^6/rate µs, floored to ms', () => {
    expect(bid.map((b) => b['date_time'])).toEqual(full.bid.events.map((n) => BASE + Math.floor(n / 10)));
    const slow = generate('auction', { events: 500, rate: 3, baseTime: Date.UTC(2020, 0, 1) });
    expect(slow.rows.map((r) => r[5])).toEqual(slow.events.map((n) => Date.UTC(2020, 0, 1) + Math.floor((n * 1000) / 3)));
  });

  it('follows the reference rules for bids: hot auctions and bidders, lead ids, prices', () => {
    let hotAuction = 0;
    let hotBidder = 0;
    let existingAuction = 0;
    let existingBidder = 0;
    const prices: number[] = [];
    const v = new Violations();
    full.bid.events.forEach((n, k) => {
      const b = bid[k]!;
      const lastA = lastBase0AuctionId(n);
      const lastP = lastBase0PersonId(n);
      const a = (b['auction'] as number) - 1000;
      const p = (b['bidder'] as number) - 1000;
      v.check(a >= Math.max(0, lastA - 100) && a <= lastA + 10, () => `event ${n}: auction ${a + 1000} out of range`);
      if (a === Math.floor(lastA / 100) * 100) hotAuction++;
      if (a <= lastA) existingAuction++;
      const active = Math.min(lastP + 1, 1000);
      v.check(p >= lastP + 1 - active && p < lastP + 1 + 10, () => `event ${n}: bidder ${p + 1000} out of range`);
      if (p === Math.floor(lastP / 100) * 100 + 1) hotBidder++;
      if (p <= lastP) existingBidder++;
      const price = b['price'] as number;
      v.check(Number.isInteger(price) && price >= 100 && price <= 1e8, () => `event ${n}: price ${price}`);
      prices.push(price);
    });
    expect(v.list).toEqual([]);
    const nb = bid.length;
    // Half of the bids go to the hot auction (plus the few random picks that hit it).
    expect(hotAuction / nb).toBeGreaterThan(0.49);
    expect(hotAuction / nb).toBeLessThan(0.53);
    expect(hotBidder / nb).toBeGreaterThan(0.74);
    expect(hotBidder / nb).toBeLessThan(0.78);
    // Only the lead of 10 ids ahead (half of the bids pick at random among ~111) is not created yet.
    expect(existingAuction / nb).toBeGreaterThan(0.94);
    expect(existingBidder / nb).toBeGreaterThan(0.96);
    // price = round(10^(6u)·100): the median is 10^3·100.
    prices.sort((x, y) => x - y);
    const median = prices[prices.length >> 1]!;
    expect(median).toBeGreaterThan(0.9e5);
    expect(median).toBeLessThan(1.1e5);
    expect(prices.filter((x) => x < 1000).length / nb).toBeGreaterThan(0.15);
  });

  it('keeps the bid sequence of seed 0 (a speed-up of the generator must not change it)', () => {
    const sum = (c: string) => bid.reduce((a, b) => a + (b[c] as number), 0);
    expect([bid.length, sum('auction'), sum('bidder'), sum('price')]).toEqual([46000, 112867035, 64480779, 328895522898]);
  });

  it('gives bids channels and matching urls', () => {
    let hot = 0;
    const hotUrls = new Map<string, string>();
    const seen = new Set<string>();
    const v = new Violations();
    const urlShape = /^https:\/\/www\.nexmark\.com\/[a-z_]{3,4}\/[a-z_]{3,4}\/[a-z_]{3,4}\/item\.htm\?query=1(&channel_id=\d+)?$/;
    for (const b of bid) {
      const ch = b['channel'] as string;
      const url = b['url'] as string;
      v.check(urlShape.test(url), () => `url ${url}`);
      if (HOT_CHANNELS.includes(ch)) {
        hot++;
        if (!hotUrls.has(ch)) hotUrls.set(ch, url);
        v.check(url === hotUrls.get(ch) && !url.includes('channel_id'), () => `hot channel ${ch} url ${url}`);
      } else {
        const m = /^channel-(\d+)$/.exec(ch);
        v.check(m !== null && Number(m[1]) < CHANNELS_NUMBER, () => `channel ${ch}`);
        seen.add(ch);
      }
      const extra = b['extra'] as string;
      v.check(/^[a-z]+$/.test(extra) && extra.length >= EXTRA_RANGE.bid[0] && extra.length < EXTRA_RANGE.bid[1], () => `extra ${extra}`);
    }
    expect(v.list).toEqual([]);
    expect(hot / bid.length).toBeGreaterThan(0.48);
    expect(hot / bid.length).toBeLessThan(0.52);
    expect(seen.size).toBeGreaterThan(8000);
  });

  it('follows the reference rules for auctions', () => {
    const categories = new Map<number, number>();
    let hotSeller = 0;
    const v = new Violations();
    full.auction.events.forEach((n, k) => {
      const a = auction[k]!;
      const c = a['category'] as number;
      categories.set(c, (categories.get(c) ?? 0) + 1);
      const initial = a['initial_bid'] as number;
      v.check(initial >= 100 && (a['reserve'] as number) >= initial + 100, () => `event ${n}: prices ${initial} ${a['reserve']}`);
      const t = a['date_time'] as number;
      const horizon = BASE + Math.floor((n + 1666) / 10) - t;
      const expires = a['expires'] as number;
      v.check(expires > t && expires <= t + 2 * horizon, () => `event ${n}: expires ${expires - t} ms after, horizon ${horizon}`);
      const lastP = lastBase0PersonId(n);
      const s = (a['seller'] as number) - 1000;
      if (s === Math.floor(lastP / 100) * 100) hotSeller++;
      v.check(s < lastP + 1 + 10, () => `event ${n}: seller ${s}`);
      const name = a['item_name'] as string;
      v.check(name.length < 20 && /^([a-z]([a-z ]*[a-z])?)?$/.test(name), () => `item_name '${name}'`);
      v.check((a['description'] as string).length < 100, () => `description ${a['description']}`);
    });
    expect(v.list).toEqual([]);
    expect([...categories.keys()].sort()).toEqual([10, 11, 12, 13, 14]);
    for (const count of categories.values()) expect(count / auction.length).toBeGreaterThan(0.17);
    expect(hotSeller / auction.length).toBeGreaterThan(0.72);
    expect(hotSeller / auction.length).toBeLessThan(0.79);
  });

  it('gives people names, emails, cards, cities and states of the reference shapes', () => {
    const states = new Set<string>();
    const v = new Violations();
    for (const p of person) {
      const [first, last] = (p['name'] as string).split(' ');
      v.check(FIRST_NAMES.includes(first!) && LAST_NAMES.includes(last!), () => `name ${p['name']}`);
      v.check(/^([a-z]([a-z ]*[a-z])?)?@([a-z]([a-z ]*[a-z])?)?\.com$/.test(p['email_address'] as string), () => `email ${p['email_address']}`);
      v.check(/^\d{4} \d{4} \d{4} \d{4}$/.test(p['credit_card'] as string), () => `card ${p['credit_card']}`);
      v.check(US_CITIES.includes(p['city'] as string) && US_STATES.includes(p['state'] as string), () => `place ${p['city']} ${p['state']}`);
      states.add(p['state'] as string);
      v.check((p['extra'] as string).length >= EXTRA_RANGE.person[0], () => `extra ${p['extra']}`);
    }
    expect(v.list).toEqual([]);
    expect(states.size).toBe(6);
  });
});

describe('nexmark source', () => {
  const schema: Schema = [
    { name: 'date_time', type: 'TIMESTAMP' },
    { name: 'PRICE', type: 'DOUBLE' },
    { name: 'auction', type: 'BIGINT' },
  ];

  it('reads the declared columns in their order, with event numbers as offsets, and resumes', async () => {
    const options = { connector: 'nexmark', table: 'bid', events: 5000, seed: '0' };
    const r = await readAll(await openSourceReader('nexmark', { source: 'bids', schema, eventTimeColumn: 0, options, baseDir: '.' }), schema, 1000);
    const ref = generate('bid', { events: 5000 });
    const refObj = objects('bid', ref);
    expect(r.rows).toEqual(refObj.map((b) => [b['date_time'], b['price'], b['auction']]));
    expect(r.offsets).toEqual(ref.events);
    expect(r.dead).toEqual([]);

    const first = await openSourceReader('nexmark', { source: 'bids', schema, eventTimeColumn: 0, options, baseDir: '.' });
    expect(first.bounded).toBe(true);
    const head = await first.next(100);
    const pos = first.position();
    expect(pos).toEqual({ event: ref.events[99]! + 1 });
    const rest = await readAll(await openSourceReader('nexmark', { source: 'bids', schema, eventTimeColumn: 0, options, baseDir: '.', resumeFrom: pos }), schema);
    expect([...rowsOf(head!.data, schema), ...rest.rows]).toEqual(r.rows);
  });

  it('leaves the columns the engine does not read NULL (projection pushdown), the others unchanged', async () => {
    const options = { table: 'bid', events: 3000 };
    const read = async (columns?: number[]) =>
      readAll(await openSourceReader('nexmark', { source: 'bids', schema, eventTimeColumn: 0, options, baseDir: '.', ...(columns ? { columns } : {}) }), schema, 700);
    const all = await read();
    const some = await read([0, 2]);
    expect(some.offsets).toEqual(all.offsets);
    expect(some.rows).toEqual(all.rows.map(([t, , a]) => [t, null, a]));
  });

  it('is endless without events, and honours base_time', async () => {
    const reader = await openSourceReader('nexmark', {
      source: 'p',
      schema: [{ name: 'date_time', type: 'TIMESTAMP' }],
      eventTimeColumn: 0,
      options: { table: 'person', base_time: '2025-06-01T00:00:00Z', rate: 50 },
      baseDir: '.',
    });
    expect(reader.bounded).toBe(false);
    for (let k = 0; k < 3; k++) {
      const b = await reader.next(10);
      expect(b!.data.numRows).toBe(10);
      expect(rowsOf(b!.data, [{ name: 't', type: 'TIMESTAMP' }])[0]![0]).toBe(Date.UTC(2025, 5, 1) + k * 10 * 1000);
    }
    await reader.close();
  });
});
