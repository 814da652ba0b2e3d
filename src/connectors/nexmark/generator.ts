/**
 * The Nexmark event generator, straight into Arrow columns.
 *
 * It follows the reference generator (nexmark/nexmark, nexmark-flink) in its rules: one
 * interleaved sequence where event n is a person when n mod 50 = 0, an auction when it is
 * 1–3 and a bid otherwise; event time base + n·(10^6 / rate) µs, floored to ms; person and
 * auction ids from 1000 derived from n (lastBase0PersonId / lastBase0AuctionId); bids for a
 * hot auction half the time and from a hot bidder three times in four, otherwise from the
 * last 100 auctions / 1000 people plus a lead of 10 ids not yet created; price
 * round(10^(6u)·100); categories 10–14; expires = time + uniform[1, 2·horizon] where the
 * horizon is the time 100 auctions (1666 events) ahead; half the bids on 4 hot channels,
 * the rest on `channel-0`…`channel-9999`.
 *
 * Where it departs from the reference (which cannot be matched byte for byte anyway: its
 * randomness is java.util.Random, seeded from the clock):
 * - randomness is a hash of (seed, event number, choice), so the run is deterministic for a
 *   seed, any table is generated without the other two, and batch cuts do not matter;
 * - a bid's bidder is offset by the first person id once, not twice (the reference adds
 *   it twice, so its bidders never match a person id; here they do);
 * - `extra` lengths are drawn per row from a fixed range per table (see pools.ts), and the
 *   urls' random path parts are fixed per seed;
 * - a bid's channel (and so its url) is drawn per bid row from a seeded sequence that
 *   repeats every CHANNEL_PERIOD (131,072) bids, and an auction's item name and description
 *   from one that repeats every 8,192 auctions, so that these columns (and `extra`) of a
 *   batch are windows of precomputed bytes rather than copies (see RowStream in pools.ts).
 *
 * Column by column: each column is a tight loop over the batch's event numbers filling a
 * Float64Array, a window of a precomputed byte stream, or pooled UTF-8 bytes copied into
 * one buffer; only the requested columns are generated, and no JS string is made per row.
 */
import { Float64, makeData, Utf8, type Data, type RecordBatch, type Schema as ArrowSchema } from '../../exec/arrow.js';
import { arrowSchema, makeRecordBatch } from '../../exec/batch.js';
import { ascending } from '../../exec/vector/columns.js';
import type { Schema } from '../../types.js';
import { poolsFor, streamWindow, type NexmarkPools, type StringPool } from './pools.js';
import { lowbias32, streamKey, U32 } from './random.js';
import { NEXMARK_SCHEMAS, type NexmarkTable } from './schemas.js';

/** Default start of event time: 2024-01-01T00:00:00Z. */
export const NEXMARK_DEFAULT_BASE_TIME = Date.UTC(2024, 0, 1);
/** Default rate: 10,000 events per second of event time (100 µs apart). */
export const NEXMARK_DEFAULT_RATE = 10_000;

export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const BID_PROPORTION = 46;
export const TOTAL_PROPORTION = 50;
export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
const NUM_CATEGORIES = 5;
const NUM_ACTIVE_PEOPLE = 1000;
const NUM_IN_FLIGHT_AUCTIONS = 100;
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
/** Hot sellers/bidders/auctions are the first of each group of this many ids. */
const HOT_GROUP = 100;
/** Events until 100 more auctions exist: the auction horizon of `expires`. */
const EVENTS_FOR_IN_FLIGHT_AUCTIONS = Math.floor((NUM_IN_FLIGHT_AUCTIONS * TOTAL_PROPORTION) / AUCTION_PROPORTION);

/** The residues of n mod 50 of each table: [first, end). */
const RESIDUES: Readonly<Record<NexmarkTable, readonly [number, number]>> = {
  person: [0, PERSON_PROPORTION],
  auction: [PERSON_PROPORTION, PERSON_PROPORTION + AUCTION_PROPORTION],
  bid: [PERSON_PROPORTION + AUCTION_PROPORTION, TOTAL_PROPORTION],
};

/** The table of event n. */
export function tableOfEvent(n: number): NexmarkTable {
  const r = n % TOTAL_PROPORTION;
  return r < PERSON_PROPORTION ? 'person' : r < PERSON_PROPORTION + AUCTION_PROPORTION ? 'auction' : 'bid';
}

/** How many events of `table` come before event n (= the row index of its first event at or after n). */
export function rowsBefore(table: NexmarkTable, n: number): number {
  const [lo, hi] = RESIDUES[table];
  const epoch = Math.floor(n / TOTAL_PROPORTION);
  const off = n - epoch * TOTAL_PROPORTION;
  return epoch * (hi - lo) + Math.min(Math.max(off - lo, 0), hi - lo);
}

/** The event number of row j of `table`. */
export function eventOfRow(table: NexmarkTable, j: number): number {
  const [lo, hi] = RESIDUES[table];
  const per = hi - lo;
  const q = Math.floor(j / per);
  return q * TOTAL_PROPORTION + lo + (j - q * per);
}

/** The newest person id (base 0) at event n; the person's own id when n is a person. */
export function lastBase0PersonId(n: number): number {
  const epoch = Math.floor(n / TOTAL_PROPORTION);
  const off = Math.min(n - epoch * TOTAL_PROPORTION, PERSON_PROPORTION - 1);
  return epoch * PERSON_PROPORTION + off;
}

/** The newest auction id (base 0) at event n; the auction's own id when n is an auction (-1 before any). */
export function lastBase0AuctionId(n: number): number {
  let epoch = Math.floor(n / TOTAL_PROPORTION);
  let off = n - epoch * TOTAL_PROPORTION;
  if (off < PERSON_PROPORTION) {
    epoch--;
    off = AUCTION_PROPORTION - 1;
  } else if (off >= PERSON_PROPORTION + AUCTION_PROPORTION) off = AUCTION_PROPORTION - 1;
  else off -= PERSON_PROPORTION;
  return epoch * AUCTION_PROPORTION + off;
}

// One stream key index per random choice.
const K_BID_AUCTION = 1;
const K_BID_BIDDER = 2;
const K_BID_PRICE = 3;
const K_PERSON_NAME = 10;
const K_PERSON_EMAIL = 11;
const K_PERSON_EMAIL_DOMAIN = 12;
const K_PERSON_CARD = 13;
const K_PERSON_CARD2 = 14;
const K_PERSON_CITY = 15;
const K_PERSON_STATE = 16;
const K_AUCTION_INITIAL = 22;
const K_AUCTION_RESERVE = 23;
const K_AUCTION_EXPIRES = 24;
const K_AUCTION_SELLER = 25;
const K_AUCTION_CATEGORY = 26;

const U31 = 1 / 2147483648;
const U30 = 1 / 1073741824;

/**
 * 10^(6u)·100 split over the bits of u = h/2^32 (10 + 11 + 11 bits), so a price is three
 * table lookups and two multiplications instead of Math.exp (twice as fast, and equal to
 * the rounded exp on every value tested). A price, as the reference's nextPrice (100 to
 * 10^8), is round(HI[h >>> 22] · MID[(h >>> 11) & 2047] · LO[h & 2047]) in that order;
 * floor(x + 0.5) is Math.round for these positive values and, in V8 on x64, several times
 * faster.
 */
const PRICE_HI = new Float64Array(1024);
const PRICE_MID = new Float64Array(2048);
const PRICE_LO = new Float64Array(2048);
for (let a = 0; a < 1024; a++) PRICE_HI[a] = Math.pow(10, (6 * a) / 1024);
for (let b = 0; b < 2048; b++) PRICE_MID[b] = Math.pow(10, (6 * b) / (1024 * 2048));
for (let c = 0; c < 2048; c++) PRICE_LO[c] = Math.pow(10, (6 * c) / 4294967296) * 100;

/** Everything a column filler needs. */
interface Ctx {
  readonly table: NexmarkTable;
  readonly seed: number;
  readonly baseTime: number;
  readonly rate: number;
  readonly pools: NexmarkPools;
  /** Row index (in the table) of the batch's first row. */
  readonly row0: number;
  /** Event number of each row. */
  readonly events: Float64Array;
  readonly length: number;
}

function f64Data(values: Float64Array): Data {
  return makeData({ type: new Float64(), length: values.length, nullCount: 0, data: values });
}

function utf8Data(offsets: Int32Array, bytes: Uint8Array, length: number): Data {
  return makeData({ type: new Utf8(), length, nullCount: 0, valueOffsets: offsets, data: bytes });
}

function eventTimes(c: Ctx, shift = 0): Float64Array {
  const out = new Float64Array(c.length);
  eventTimeKernel(out, c.events, c.baseTime, c.rate, shift);
  return out;
}

/** A Utf8 column whose row i is entry `choice[i]` of `pool`. */
function pooled(pool: StringPool, choice: Int32Array): Data {
  const n = choice.length;
  const offsets = new Int32Array(n + 1);
  const bytes = new Uint8Array(pooledOffsets(offsets, pool.len, choice));
  pooledBytes(bytes, offsets, pool.bytes, pool.start, pool.len, choice);
  return utf8Data(offsets, bytes, n);
}

// The loops of the fillers are kernels of their own, taking only numbers and typed arrays
// and ending with their loop: a filler runs a few times per run, so V8 compiles its loop on
// stack replacement, and a call after that loop with no feedback yet deoptimized it at the
// end of every batch (auction's seller and category: 45 deopts in six runs, 10–20 ms of a
// q3 run until they settled).

/** Offsets of the pooled strings `choice` (lengths `len`); returns the total bytes. */
function pooledOffsets(offsets: Int32Array, len: Int32Array, choice: Int32Array): number {
  let total = 0;
  for (let i = 0; i < choice.length; i++) {
    total += len[choice[i]!]!;
    offsets[i + 1] = total;
  }
  return total;
}

function pooledBytes(bytes: Uint8Array, offsets: Int32Array, src: Uint8Array, start: Int32Array, len: Int32Array, choice: Int32Array): void {
  for (let i = 0; i < choice.length; i++) {
    const c = choice[i]!;
    let s = start[c]!;
    const e = s + len[c]!;
    let p = offsets[i]!;
    while (s < e) bytes[p++] = src[s++]!;
  }
}


/** Choices of a pool of `size` entries, uniform per row. */
function uniformChoice(c: Ctx, k: number, size: number): Int32Array {
  const out = rowHashes(c, k);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor((out[i]! >>> 0) * U32 * size);
  return out;
}

/** The `extra` column: one window of the table's letter stream (see RowStream in pools.ts). */
function extra(c: Ctx): Data {
  const w = streamWindow(c.pools.extra[c.table], c.row0, c.length);
  return utf8Data(w.offsets, w.bytes, c.length);
}

/** Copies `words[s, s+len)` without leading/trailing spaces to out at p; returns the new p. */
function trimmedWindow(out: Uint8Array, p: number, words: Uint8Array, s: number, len: number): number {
  let e = s + len;
  while (s < e && words[s] === 32) s++;
  while (e > s && words[e - 1] === 32) e--;
  while (s < e) out[p++] = words[s++]!;
  return p;
}

type Filler = (c: Ctx) => Data;

// For a bid event n (n mod 50 >= 4) of epoch e = floor(n / 50): lastBase0AuctionId(n) = 3e + 2
// and lastBase0PersonId(n) = e; the bid kernels inline that. floor(x / 100) is computed as
// floor(x · (1/100)) (equal for every integer x < 2^45: the product's error is far below the
// gap 1/100 to the next integer) and `%` is avoided (a float modulo is a library call in V8).
const INV_HOT_GROUP = 1 / HOT_GROUP;
const TWO32 = 4294967296;
const INV_TWO32 = 1 / TWO32;
/** The multipliers of hashBits' Weyl step (low and high 32 bits of n). */
const WEYL_LO = 0x9e3779b1 | 0;
const WEYL_HI = 0x632be5ab;
const FIRST_BID_RESIDUE = PERSON_PROPORTION + AUCTION_PROPORTION;

// The bid kernels fill out[0, count) for the bid rows from event `first` on (a bid event).
// They walk the rows as runs of consecutive events (the bids of one epoch, cut where
// floor(n / 2^32) changes), so per run they compute what depends on the epoch once, and per
// row they step hashBits' Weyl term (imul(n, WEYL_LO) + WEYL_LO is imul(n + 1, WEYL_LO) mod
// 2^32) and inline its finalizer: the same bits as hashBits(n, key) without a call or a
// double-to-int conversion per row. They take only numbers and typed arrays and end with
// their loop, so V8 optimizes them early and keeps them optimized (a call after the loop of
// an OSR-compiled filler deoptimized it at the end of every batch).

/** The exact epoch (n div 50) and residue of event n, for any safe integer n. */
function epochOf(n: number): number {
  let e = Math.floor(n / TOTAL_PROPORTION);
  const r = n - e * TOTAL_PROPORTION;
  if (r < 0) e--;
  else if (r >= TOTAL_PROPORTION) e++;
  return e;
}

/**
 * hashBits(n, key) of `count` rows of the table whose events have residues [lo, lo + per)
 * mod 50, from event `first` on: the walk of the bid kernels for any table, shared by the
 * person and auction columns (one hot function, optimized early).
 */
function hashRowsKernel(out: Int32Array, first: number, count: number, key: number, lo: number, per: number): void {
  let e = epochOf(first);
  let r = first - e * TOTAL_PROPORTION;
  const endResidue = lo + per;
  let i = 0;
  while (i < count) {
    const n = e * TOTAL_PROPORTION + r;
    const hi = Math.floor(n * INV_TWO32);
    const take = Math.min(endResidue - r, count - i, (hi + 1) * TWO32 - n);
    const k = key ^ Math.imul(hi, WEYL_HI);
    let w = Math.imul(n - hi * TWO32, WEYL_LO);
    for (const end = i + take; i < end; i++) {
      out[i] = lowbias32(w ^ k);
      w = (w + WEYL_LO) | 0;
    }
    r += take;
    if (r === endResidue) {
      e++;
      r = lo;
    }
  }
}

/** hashBits(n, streamKey(seed, k)) of each row of a batch (hash32 is the same bits >>> 0). */
function rowHashes(c: Ctx, k: number): Int32Array {
  const out = new Int32Array(c.length);
  const [lo, hi] = RESIDUES[c.table];
  if (c.length > 0) hashRowsKernel(out, c.events[0]!, c.length, streamKey(c.seed, k), lo, hi - lo);
  return out;
}

function bidAuctionKernel(out: Float64Array, first: number, count: number, key: number): void {
  let e = epochOf(first);
  let r = first - e * TOTAL_PROPORTION;
  let i = 0;
  while (i < count) {
    const n = e * TOTAL_PROPORTION + r;
    const hi = Math.floor(n * INV_TWO32);
    const take = Math.min(TOTAL_PROPORTION - r, count - i, (hi + 1) * TWO32 - n);
    const last = e * AUCTION_PROPORTION + AUCTION_PROPORTION - 1;
    const hot = Math.floor(last * INV_HOT_GROUP) * HOT_GROUP + FIRST_AUCTION_ID;
    const min = (last > NUM_IN_FLIGHT_AUCTIONS ? last - NUM_IN_FLIGHT_AUCTIONS : 0) + FIRST_AUCTION_ID;
    // U31 is a power of two: folding it in first rounds alike.
    const span = (last - (min - FIRST_AUCTION_ID) + 1 + AUCTION_ID_LEAD) * U31;
    const k = key ^ Math.imul(hi, WEYL_HI);
    let w = Math.imul(n - hi * TWO32, WEYL_LO);
    for (const end = i + take; i < end; i++) {
      const h = lowbias32(w ^ k);
      // Both choices, then a select by the hot bit: a branch on a random bit is mispredicted
      // half the time, which cost more than the arithmetic (integers: the select is exact).
      const cold = min + Math.floor((h >>> 1) * span);
      out[i] = cold + (h & 1) * (hot - cold);
      w = (w + WEYL_LO) | 0;
    }
    r += take;
    if (r === TOTAL_PROPORTION) {
      e++;
      r = FIRST_BID_RESIDUE;
    }
  }
}

function bidBidderKernel(out: Float64Array, first: number, count: number, key: number): void {
  let e = epochOf(first);
  let r = first - e * TOTAL_PROPORTION;
  let i = 0;
  while (i < count) {
    const n = e * TOTAL_PROPORTION + r;
    const hi = Math.floor(n * INV_TWO32);
    const take = Math.min(TOTAL_PROPORTION - r, count - i, (hi + 1) * TWO32 - n);
    // As for auctions: hot three times in four without a branch.
    const hot = Math.floor(e * INV_HOT_GROUP) * HOT_GROUP + 1 + FIRST_PERSON_ID;
    const active = e < NUM_ACTIVE_PEOPLE ? e + 1 : NUM_ACTIVE_PEOPLE;
    const lo = e + 1 - active + FIRST_PERSON_ID;
    const span = (active + PERSON_ID_LEAD) * U30;
    const k = key ^ Math.imul(hi, WEYL_HI);
    let w = Math.imul(n - hi * TWO32, WEYL_LO);
    for (const end = i + take; i < end; i++) {
      const h = lowbias32(w ^ k);
      const cold = lo + Math.floor((h >>> 2) * span);
      out[i] = cold + (((h & 3) + 3) >> 2) * (hot - cold);
      w = (w + WEYL_LO) | 0;
    }
    r += take;
    if (r === TOTAL_PROPORTION) {
      e++;
      r = FIRST_BID_RESIDUE;
    }
  }
}

function bidPriceKernel(out: Float64Array, first: number, count: number, key: number): void {
  const pHi = PRICE_HI;
  const pMid = PRICE_MID;
  const pLo = PRICE_LO;
  let e = epochOf(first);
  let r = first - e * TOTAL_PROPORTION;
  let i = 0;
  while (i < count) {
    const n = e * TOTAL_PROPORTION + r;
    const hi = Math.floor(n * INV_TWO32);
    const take = Math.min(TOTAL_PROPORTION - r, count - i, (hi + 1) * TWO32 - n);
    const k = key ^ Math.imul(hi, WEYL_HI);
    let w = Math.imul(n - hi * TWO32, WEYL_LO);
    for (const end = i + take; i < end; i++) {
      const h = lowbias32(w ^ k);
      out[i] = Math.floor(pHi[h >>> 22]! * pMid[(h >>> 11) & 2047]! * pLo[h & 2047]! + 0.5);
      w = (w + WEYL_LO) | 0;
    }
    r += take;
    if (r === TOTAL_PROPORTION) {
      e++;
      r = FIRST_BID_RESIDUE;
    }
  }
}

/** Event times of rows whose event numbers are `ev` (shifted by `shift`). */
function eventTimeKernel(out: Float64Array, ev: Float64Array, base: number, rate: number, shift: number): void {
  for (let i = 0; i < out.length; i++) out[i] = base + Math.floor(((ev[i]! + shift) * 1000) / rate);
}

const BID: Readonly<Record<string, Filler>> = {
  auction(c) {
    const out = new Float64Array(c.length);
    bidAuctionKernel(out, c.events[0]!, c.length, streamKey(c.seed, K_BID_AUCTION));
    return f64Data(out);
  },
  bidder(c) {
    const out = new Float64Array(c.length);
    bidBidderKernel(out, c.events[0]!, c.length, streamKey(c.seed, K_BID_BIDDER));
    return f64Data(out);
  },
  price(c) {
    const out = new Float64Array(c.length);
    bidPriceKernel(out, c.events[0]!, c.length, streamKey(c.seed, K_BID_PRICE));
    return f64Data(out);
  },
  channel(c) {
    const w = streamWindow(c.pools.channelStream, c.row0, c.length);
    return utf8Data(w.offsets, w.bytes, c.length);
  },
  url(c) {
    const w = streamWindow(c.pools.urlStream, c.row0, c.length);
    return utf8Data(w.offsets, w.bytes, c.length);
  },
  date_time(c) {
    return f64Data(eventTimes(c));
  },
  extra,
};

const DIGITS = 48;

/** Writes uniform[0, 10000) from 16 random bits as four zero-padded digits (a `%04d` group). */
function fourDigits(out: Uint8Array, p: number, bits16: number): void {
  let v = (bits16 * 10_000) >>> 16;
  for (let d = 3; d >= 0; d--) {
    const q = (v / 10) | 0;
    out[p + d] = DIGITS + v - q * 10;
    v = q;
  }
}

/** nextString(7) + '@' + nextString(5) + '.com' per row, into out (offsets filled); returns the bytes written. */
function emailKernel(out: Uint8Array, offsets: Int32Array, hs1: Int32Array, hs2: Int32Array, words: Uint8Array): number {
  const room = words.length - 8;
  const n = hs1.length;
  let p = 0;
  for (let i = 0; i < n; i++) {
    const h1 = hs1[i]!;
    const h2 = hs2[i]!;
    p = trimmedWindow(out, p, words, (h1 >>> 2) % room, 3 + (h1 & 3));
    out[p++] = 64; // @
    p = trimmedWindow(out, p, words, (h2 >>> 1) % room, 3 + (h2 & 1));
    out[p++] = 46; // .
    out[p++] = 99; // c
    out[p++] = 111; // o
    out[p++] = 109; // m
    offsets[i + 1] = p;
  }
  return p;
}

/** Four groups of four digits, separated by spaces (19 bytes) per row. */
function creditCardKernel(out: Uint8Array, offsets: Int32Array, hs1: Int32Array, hs2: Int32Array): void {
  const n = hs1.length;
  for (let i = 0; i < n; i++) {
    const h1 = hs1[i]!;
    const h2 = hs2[i]!;
    const p = i * 19;
    fourDigits(out, p, h1 & 0xffff);
    out[p + 4] = 32;
    fourDigits(out, p + 5, h1 >>> 16);
    out[p + 9] = 32;
    fourDigits(out, p + 10, h2 & 0xffff);
    out[p + 14] = 32;
    fourDigits(out, p + 15, h2 >>> 16);
    offsets[i + 1] = p + 19;
  }
}

const PERSON: Readonly<Record<string, Filler>> = {
  id(c) {
    // Person row j is event 50j, whose id (base 0) is j.
    return f64Data(ascending(c.row0 + FIRST_PERSON_ID, c.length));
  },
  name(c) {
    return pooled(c.pools.names, uniformChoice(c, K_PERSON_NAME, c.pools.names.len.length));
  },
  email_address(c) {
    // nextString(7) + '@' + nextString(5) + '.com'
    const n = c.length;
    const offsets = new Int32Array(n + 1);
    const out = new Uint8Array(n * 15);
    const p = emailKernel(out, offsets, rowHashes(c, K_PERSON_EMAIL), rowHashes(c, K_PERSON_EMAIL_DOMAIN), c.pools.words);
    return utf8Data(offsets, out.subarray(0, p), n);
  },
  credit_card(c) {
    const n = c.length;
    const offsets = new Int32Array(n + 1);
    const out = new Uint8Array(n * 19);
    creditCardKernel(out, offsets, rowHashes(c, K_PERSON_CARD), rowHashes(c, K_PERSON_CARD2));
    return utf8Data(offsets, out, n);
  },
  city(c) {
    return pooled(c.pools.cities, uniformChoice(c, K_PERSON_CITY, c.pools.cities.len.length));
  },
  state(c) {
    return pooled(c.pools.states, uniformChoice(c, K_PERSON_STATE, c.pools.states.len.length));
  },
  date_time(c) {
    return f64Data(eventTimes(c));
  },
  extra,
};

/** Adds the price of each row's hash (see PRICE_HI) to `out`. */
function addPrices(out: Float64Array, hs: Int32Array): void {
  const pHi = PRICE_HI;
  const pMid = PRICE_MID;
  const pLo = PRICE_LO;
  for (let i = 0; i < out.length; i++) {
    const h = hs[i]!;
    out[i] += Math.floor(pHi[h >>> 22]! * pMid[(h >>> 11) & 2047]! * pLo[h & 2047]! + 0.5);
  }
}

/** An auction's expiry: its time + uniform[1, 2·horizon], the horizon being the time 100 auctions ahead (`later`). */
function expiresKernel(now: Float64Array, later: Float64Array, hs: Int32Array): void {
  for (let i = 0; i < now.length; i++) {
    const horizon = later[i]! - now[i]!;
    now[i] = now[i]! + 1 + Math.floor((hs[i]! >>> 0) * U32 * Math.max(horizon * 2, 1));
  }
}

/** An auction's seller: a hot one three times in four, else one of the last 1000 people (+ a lead of 10). */
function sellerKernel(out: Float64Array, hs: Int32Array, ev: Float64Array): void {
  for (let i = 0; i < out.length; i++) {
    const h = hs[i]!;
    // lastBase0PersonId(n) of an auction event n is its epoch; randomBase0PersonId inlined.
    const people = Math.floor(ev[i]! / TOTAL_PROPORTION);
    const active = Math.min(people + 1, NUM_ACTIVE_PEOPLE);
    const p = (h & 3) !== 0 ? Math.floor(people / HOT_GROUP) * HOT_GROUP : people + 1 - active + Math.floor((h >>> 2) * U30 * (active + PERSON_ID_LEAD));
    out[i] = p + FIRST_PERSON_ID;
  }
}

function categoryKernel(out: Float64Array, hs: Int32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = FIRST_CATEGORY_ID + Math.floor((hs[i]! >>> 0) * U32 * NUM_CATEGORIES);
}

const AUCTION: Readonly<Record<string, Filler>> = {
  id(c) {
    // Auction row j is the auction whose id (base 0) is j.
    return f64Data(ascending(c.row0 + FIRST_AUCTION_ID, c.length));
  },
  item_name(c) {
    const w = streamWindow(c.pools.itemNames, c.row0, c.length);
    return utf8Data(w.offsets, w.bytes, c.length);
  },
  description(c) {
    const w = streamWindow(c.pools.descriptions, c.row0, c.length);
    return utf8Data(w.offsets, w.bytes, c.length);
  },
  initial_bid(c) {
    const out = new Float64Array(c.length);
    addPrices(out, rowHashes(c, K_AUCTION_INITIAL));
    return f64Data(out);
  },
  reserve(c) {
    const out = new Float64Array(c.length);
    addPrices(out, rowHashes(c, K_AUCTION_INITIAL));
    addPrices(out, rowHashes(c, K_AUCTION_RESERVE));
    return f64Data(out);
  },
  date_time(c) {
    return f64Data(eventTimes(c));
  },
  expires(c) {
    const now = eventTimes(c);
    expiresKernel(now, eventTimes(c, EVENTS_FOR_IN_FLIGHT_AUCTIONS), rowHashes(c, K_AUCTION_EXPIRES));
    return f64Data(now);
  },
  seller(c) {
    const out = new Float64Array(c.length);
    sellerKernel(out, rowHashes(c, K_AUCTION_SELLER), c.events);
    return f64Data(out);
  },
  category(c) {
    const out = new Float64Array(c.length);
    categoryKernel(out, rowHashes(c, K_AUCTION_CATEGORY));
    return f64Data(out);
  },
  extra,
};

const FILLERS: Readonly<Record<NexmarkTable, Readonly<Record<string, Filler>>>> = { person: PERSON, auction: AUCTION, bid: BID };

/** Settings of the generated sequence (shared by the three tables of one benchmark). */
export interface NexmarkConfig {
  /** Default 0. */
  readonly seed?: number;
  /** Events per second of event time; default 10,000. */
  readonly rate?: number;
  /** Event time of event 0, epoch ms; default 2024-01-01T00:00:00Z. */
  readonly baseTime?: number;
  /** Total events of the interleaved sequence; absent or null = endless. */
  readonly events?: number | null;
}

export interface NexmarkGeneratorOptions {
  /** The columns to generate, by name, in output order; default all of the table's. */
  readonly columns?: readonly string[];
  /** The event number to start at (a resume position); default 0. */
  readonly startEvent?: number;
}

/** The columns of one generated batch. */
export interface NexmarkColumns {
  readonly columns: readonly Data[];
  /** The event number of each row (its source offset). */
  readonly events: Float64Array;
  readonly length: number;
}

/** A generated batch as an Arrow RecordBatch. */
export interface NexmarkBatch {
  readonly data: RecordBatch;
  readonly events: Float64Array;
}

/**
 * Generates one Nexmark table batch by batch.
 *
 * @example
 * const g = new NexmarkGenerator('bid', { events: 1_000_000 });
 * for (let b = g.nextBatch(8192); b !== null; b = g.nextBatch(8192)) consume(b.data);
 */
export class NexmarkGenerator {
  readonly table: NexmarkTable;
  /** The generated columns with their Nexmark names and types. */
  readonly schema: Schema;
  private readonly fillers: readonly Filler[];
  private readonly seed: number;
  private readonly rate: number;
  private readonly baseTime: number;
  /** The string pools, only when a text column is generated (each pool is built when first read). */
  private readonly pools: NexmarkPools | null;
  private readonly arrow: ArrowSchema;
  /** Row index (within the table) of the next row. */
  private row: number;
  /** One past the last row index; Infinity when endless. */
  private readonly endRow: number;
  private nextEventNumber: number;

  constructor(table: NexmarkTable, config: NexmarkConfig = {}, options: NexmarkGeneratorOptions = {}) {
    this.table = table;
    this.seed = config.seed ?? 0;
    this.rate = config.rate ?? NEXMARK_DEFAULT_RATE;
    this.baseTime = config.baseTime ?? NEXMARK_DEFAULT_BASE_TIME;
    if (!Number.isSafeInteger(this.seed)) throw new RangeError(`nexmark seed must be an integer, got ${this.seed}`);
    if (!(this.rate > 0) || !Number.isFinite(this.rate)) throw new RangeError(`nexmark rate must be positive, got ${this.rate}`);
    const all = NEXMARK_SCHEMAS[table];
    const wanted = options.columns ?? all.map((c) => c.name);
    this.schema = wanted.map((name) => {
      const col = all.find((c) => c.name === name.toLowerCase());
      if (col === undefined) throw new RangeError(`nexmark table ${table} has no column ${name}`);
      return col;
    });
    this.fillers = this.schema.map((c) => FILLERS[table][c.name]!);
    this.arrow = arrowSchema(this.schema);
    this.pools = this.schema.some((c) => c.type === 'VARCHAR') ? poolsFor(this.seed) : null;
    const start = options.startEvent ?? 0;
    this.row = rowsBefore(table, start);
    this.nextEventNumber = start;
    this.endRow = config.events === undefined || config.events === null ? Infinity : rowsBefore(table, config.events);
  }

  /** The event number after the last generated row: where a new generator would resume. */
  get nextEvent(): number {
    return this.nextEventNumber;
  }

  /** True when a bounded sequence has no rows of this table left. */
  get done(): boolean {
    return this.row >= this.endRow;
  }

  /** The columns of the next at most `maxRows` rows; null at the end of a bounded sequence. */
  nextColumns(maxRows: number): NexmarkColumns | null {
    const n = Math.min(Math.max(1, Math.floor(maxRows)), this.endRow - this.row);
    if (!(n > 0)) return null;
    const events = new Float64Array(n);
    const [lo, hi] = RESIDUES[this.table];
    const per = hi - lo;
    const q = Math.floor(this.row / per);
    // Runs of consecutive event numbers, one per epoch of 50 events.
    let r = this.row - q * per;
    let epochBase = q * TOTAL_PROPORTION + lo;
    for (let i = 0; i < n; ) {
      const take = Math.min(per - r, n - i);
      const first = epochBase + r;
      for (let k = 0; k < take; k++) events[i + k] = first + k;
      i += take;
      r = 0;
      epochBase += TOTAL_PROPORTION;
    }
    const ctx: Ctx = {
      table: this.table,
      seed: this.seed,
      baseTime: this.baseTime,
      rate: this.rate,
      // Only text fillers read the pools, and they exist whenever a text column is generated.
      pools: this.pools!,
      row0: this.row,
      events,
      length: n,
    };
    const columns = this.fillers.map((f) => f(ctx));
    this.row += n;
    this.nextEventNumber = events[n - 1]! + 1;
    return { columns, events, length: n };
  }

  /** The next at most `maxRows` rows as a RecordBatch; null at the end of a bounded sequence. */
  nextBatch(maxRows: number): NexmarkBatch | null {
    const c = this.nextColumns(maxRows);
    if (c === null) return null;
    return { data: makeRecordBatch(this.arrow, c.columns, c.length), events: c.events };
  }
}
