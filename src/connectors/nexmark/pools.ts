/**
 * Precomputed UTF-8 material for the Nexmark generator, built once per seed: every string
 * column is assembled by copying bytes out of these pools (or, for `extra`, by pointing at a
 * window of a random-letter buffer), so generating a row allocates no JS string.
 */
import { hash32, streamKey, U32 } from './random.js';

const encoder = new TextEncoder();

/** Strings stored back to back: entry i is `bytes[start[i], start[i] + len[i])`. */
export interface StringPool {
  readonly bytes: Uint8Array;
  readonly start: Int32Array;
  readonly len: Int32Array;
  readonly maxLen: number;
}

export function makePool(strings: readonly string[]): StringPool {
  const parts = strings.map((s) => encoder.encode(s));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(total);
  const start = new Int32Array(parts.length);
  const len = new Int32Array(parts.length);
  let pos = 0;
  let maxLen = 0;
  parts.forEach((p, i) => {
    bytes.set(p, pos);
    start[i] = pos;
    len[i] = p.length;
    pos += p.length;
    maxLen = Math.max(maxLen, p.length);
  });
  return { bytes, start, len, maxLen };
}

// Value lists of the reference generator (the sizes matter for the distributions).
export const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
export const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
export const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
export const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
export const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
export const CHANNELS_NUMBER = 10_000;

/**
 * Per-table lengths of `extra`: the reference pads each event to an average size (person
 * 200, auction 500, bid 100 bytes) with `extra` of length uniform in avg·[0.8, 1.2) of what
 * is left. The rest of a person or auction varies in the reference; here it is taken at its
 * mean, so the ranges are fixed.
 */
export const EXTRA_RANGE = {
  person: [113, 169],
  auction: [313, 469],
  bid: [54, 82],
} as const;

/** Random letters, periodic: `bytes[i] === bytes[i % LETTERS_PERIOD]` over the whole buffer. */
export const LETTERS_PERIOD = 1 << 20;
/** Room past one period of a stream, so a batch's window of up to this many bytes is contiguous. */
const LETTERS_MARGIN = 4 << 20;
const STREAM_MARGIN = 1 << 20;
/** Length of the table of `extra` lengths (they repeat with this period). */
export const EXTRA_PERIOD = 4096;
/** Bids repeat their channel choice with this period (in bid rows). */
export const CHANNEL_PERIOD = 1 << 17;
/** Auctions repeat their item names and descriptions with this period (in auction rows). */
export const AUCTION_TEXT_PERIOD = 1 << 13;

/**
 * A string column laid out in advance: row j's value is `bytes[start(j), start(j) + len[j %
 * P])` with start(j) = (C(j) + shift) mod bytePeriod, where C(j) = the lengths of rows before
 * j (O(1) from `prefix`) and `bytes` repeats with `bytePeriod`. Consecutive rows are adjacent,
 * so a batch's whole column is one window of `bytes`: no copying per row.
 *
 * `extra` uses it over random letters (any window is as good as another); the bids'
 * channel and url use it over the concatenated values of a seeded sequence of channel
 * choices, which therefore repeats every CHANNEL_PERIOD bids.
 */
export interface RowStream {
  readonly bytes: Uint8Array;
  readonly bytePeriod: number;
  /** Length of row j is len[j % len.length]. */
  readonly len: Int32Array;
  /** prefix[k] = len[0] + … + len[k-1]. */
  readonly prefix: Float64Array;
  readonly periodSum: number;
  readonly shift: number;
}

export interface NexmarkPools {
  readonly names: StringPool;
  readonly cities: StringPool;
  readonly states: StringPool;
  /** 4 hot channels then `channel-0` … `channel-9999`. */
  readonly channels: StringPool;
  /** The url of each entry of `channels`. */
  readonly urls: StringPool;
  /** Letters with one space in 13 (the reference's random strings), for names and descriptions. */
  readonly words: Uint8Array;
  /** `extra` of each table. */
  readonly extra: Readonly<Record<'person' | 'auction' | 'bid', RowStream>>;
  /** Pool entry (of `channels`/`urls`) of bid row j: channelChoice[j % CHANNEL_PERIOD]. */
  readonly channelChoice: Int32Array;
  readonly channelStream: RowStream;
  readonly urlStream: RowStream;
  /** Auction item names (reference nextString(20)) and descriptions (nextString(100)). */
  readonly itemNames: RowStream;
  readonly descriptions: RowStream;
}

const K_POOL = 1000;

/** A random string of 3 or 4 characters, letters with `_` one time in 13 (url path parts). */
function urlPart(key: number, n: number): string {
  const h = hash32(n, key);
  const len = 3 + (h & 1);
  let s = '';
  for (let i = 0; i < len; i++) {
    const r = hash32(n * 8 + i + 1, key ^ 0x2545f491);
    s += r % 13 === 0 ? '_' : String.fromCharCode(97 + Math.floor((r >>> 4) * (26 / 268435456)));
  }
  return s;
}

function baseUrl(key: number, n: number): string {
  return `https://www.nexmark.com/${urlPart(key, n * 3)}/${urlPart(key, n * 3 + 1)}/${urlPart(key, n * 3 + 2)}/item.htm?query=1`;
}

/** Java's Integer.reverse: the 32 bits of x in reverse order, as a signed int. */
function reverse32(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  return ((x >>> 16) | (x << 16)) | 0;
}

function fillLetters(out: Uint8Array, n: number, key: number, spaces: boolean): void {
  for (let i = 0; i < n; i++) {
    const h = hash32(i, key);
    out[i] = spaces && h % 13 === 0 ? 32 : 97 + Math.floor((h >>> 4) * (26 / 268435456));
  }
}

function lengthTable(len: Int32Array): { prefix: Float64Array; periodSum: number } {
  const prefix = new Float64Array(len.length + 1);
  prefixSums(prefix, len);
  return { prefix, periodSum: prefix[len.length]! };
}

/** A function that ends at its loop: the code after it deoptimized the loop compiled on stack replacement on every call. */
function prefixSums(prefix: Float64Array, len: Int32Array): void {
  for (let i = 0; i < len.length; i++) prefix[i + 1] = prefix[i]! + len[i]!;
}

function extraStream(letters: Uint8Array, seed: number, k: number, min: number, maxExclusive: number, shift: number): RowStream {
  const key = streamKey(seed, k);
  const len = new Int32Array(EXTRA_PERIOD);
  for (let i = 0; i < EXTRA_PERIOD; i++) len[i] = min + Math.floor(hash32(i, key) * U32 * (maxExclusive - min));
  return { bytes: letters, bytePeriod: LETTERS_PERIOD, len, ...lengthTable(len), shift };
}

/** The values of `pool` in the order of `choice`, back to back, plus a margin repeating the start. */
function choiceStream(pool: StringPool, choice: Int32Array): RowStream {
  const len = new Int32Array(choice.length);
  for (let i = 0; i < choice.length; i++) len[i] = pool.len[choice[i]!]!;
  const { prefix, periodSum } = lengthTable(len);
  const bytes = new Uint8Array(periodSum + STREAM_MARGIN);
  for (let i = 0; i < choice.length; i++) {
    const c = choice[i]!;
    bytes.set(pool.bytes.subarray(pool.start[c]!, pool.start[c]! + pool.len[c]!), prefix[i]!);
  }
  for (let p = periodSum; p < bytes.length; p += periodSum) bytes.copyWithin(p, 0, Math.min(periodSum, bytes.length - p));
  return { bytes, bytePeriod: periodSum, len, prefix, periodSum, shift: 0 };
}

/**
 * `period` random strings as the reference's nextString(maxLength): 3 + uniform[0,
 * maxLength - 3) characters of `words` (letters, one space in 13), trimmed.
 */
function textStream(words: Uint8Array, seed: number, k: number, maxLength: number, period: number): RowStream {
  const key = streamKey(seed, k);
  const parts: string[] = [];
  const room = words.length - maxLength;
  for (let i = 0; i < period; i++) {
    const h = hash32(i, key);
    const len = 3 + Math.floor((h & 0xffff) * ((maxLength - 3) / 65536));
    const s = (h >>> 16) % room;
    parts.push(String.fromCharCode(...words.subarray(s, s + len)).trim());
  }
  const pool = makePool(parts);
  return choiceStream(pool, Int32Array.from(parts.keys()));
}

/**
 * The pools of one seed, each built when first used: a query reading a person's name and
 * state should not pay for the bids' 10,000 urls or the 5 MB of `extra` letters (building
 * all of them took ~180 ms of CPU). A pool's contents depend on the seed only, never on
 * which other pools exist.
 */
class LazyPools implements NexmarkPools {
  private namesPool?: StringPool;
  private citiesPool?: StringPool;
  private statesPool?: StringPool;
  private channelsPool?: StringPool;
  private urlsPool?: StringPool;
  private wordsBytes?: Uint8Array;
  private lettersBytes?: Uint8Array;
  private extraStreams?: Record<'person' | 'auction' | 'bid', RowStream>;
  private choices?: Int32Array;
  private channelRows?: RowStream;
  private urlRows?: RowStream;
  private itemNameRows?: RowStream;
  private descriptionRows?: RowStream;

  constructor(private readonly seed: number) {}

  get names(): StringPool {
    if (this.namesPool === undefined) {
      const names: string[] = [];
      for (const f of FIRST_NAMES) for (const l of LAST_NAMES) names.push(`${f} ${l}`);
      this.namesPool = makePool(names);
    }
    return this.namesPool;
  }

  get cities(): StringPool {
    return (this.citiesPool ??= makePool(US_CITIES));
  }

  get states(): StringPool {
    return (this.statesPool ??= makePool(US_STATES));
  }

  get channels(): StringPool {
    if (this.channelsPool === undefined) {
      const channels = [...HOT_CHANNELS];
      for (let c = 0; c < CHANNELS_NUMBER; c++) channels.push(`channel-${c}`);
      this.channelsPool = makePool(channels);
    }
    return this.channelsPool;
  }

  get urls(): StringPool {
    if (this.urlsPool === undefined) {
      const urlKey = streamKey(this.seed, K_POOL);
      const channelKey = streamKey(this.seed, K_POOL + 1);
      const urls = HOT_CHANNELS.map((_, i) => baseUrl(urlKey, CHANNELS_NUMBER + i));
      for (let c = 0; c < CHANNELS_NUMBER; c++) {
        let url = baseUrl(urlKey, c);
        if (hash32(c, channelKey) % 10 > 0) url += `&channel_id=${Math.abs(reverse32(c))}`;
        urls.push(url);
      }
      this.urlsPool = makePool(urls);
    }
    return this.urlsPool;
  }

  get words(): Uint8Array {
    if (this.wordsBytes === undefined) {
      this.wordsBytes = new Uint8Array(1 << 16);
      fillLetters(this.wordsBytes, this.wordsBytes.length, streamKey(this.seed, K_POOL + 3), true);
    }
    return this.wordsBytes;
  }

  private get letters(): Uint8Array {
    if (this.lettersBytes === undefined) {
      const letters = new Uint8Array(LETTERS_PERIOD + LETTERS_MARGIN);
      fillLetters(letters, LETTERS_PERIOD, streamKey(this.seed, K_POOL + 2), false);
      for (let p = LETTERS_PERIOD; p < letters.length; p += LETTERS_PERIOD) letters.copyWithin(p, 0, Math.min(LETTERS_PERIOD, letters.length - p));
      this.lettersBytes = letters;
    }
    return this.lettersBytes;
  }

  get extra(): Readonly<Record<'person' | 'auction' | 'bid', RowStream>> {
    if (this.extraStreams === undefined) {
      const { seed, letters } = this;
      this.extraStreams = {
        person: extraStream(letters, seed, K_POOL + 4, EXTRA_RANGE.person[0], EXTRA_RANGE.person[1], 0),
        auction: extraStream(letters, seed, K_POOL + 5, EXTRA_RANGE.auction[0], EXTRA_RANGE.auction[1], Math.floor(LETTERS_PERIOD / 3)),
        bid: extraStream(letters, seed, K_POOL + 6, EXTRA_RANGE.bid[0], EXTRA_RANGE.bid[1], Math.floor((2 * LETTERS_PERIOD) / 3)),
      };
    }
    return this.extraStreams;
  }

  get channelChoice(): Int32Array {
    if (this.choices === undefined) {
      // Half the bids on one of the 4 hot channels, the rest uniform over the 10,000 others.
      const choiceKey = streamKey(this.seed, K_POOL + 7);
      const channelChoice = new Int32Array(CHANNEL_PERIOD);
      for (let j = 0; j < CHANNEL_PERIOD; j++) {
        const h = hash32(j, choiceKey);
        channelChoice[j] = (h & 1) !== 0 ? (h >>> 1) & 3 : HOT_CHANNELS.length + Math.floor((h >>> 3) * (CHANNELS_NUMBER / 536870912));
      }
      this.choices = channelChoice;
    }
    return this.choices;
  }

  get channelStream(): RowStream {
    return (this.channelRows ??= choiceStream(this.channels, this.channelChoice));
  }

  get urlStream(): RowStream {
    return (this.urlRows ??= choiceStream(this.urls, this.channelChoice));
  }

  get itemNames(): RowStream {
    return (this.itemNameRows ??= textStream(this.words, this.seed, K_POOL + 8, 20, AUCTION_TEXT_PERIOD));
  }

  get descriptions(): RowStream {
    return (this.descriptionRows ??= textStream(this.words, this.seed, K_POOL + 9, 100, AUCTION_TEXT_PERIOD));
  }
}

const cache = new Map<number, NexmarkPools>();

/** The pools of a seed (cached: the three sources of one benchmark share them; each pool is built on first use). */
export function poolsFor(seed: number): NexmarkPools {
  let p = cache.get(seed);
  if (p === undefined) {
    if (cache.size >= 4) cache.clear();
    p = new LazyPools(seed);
    cache.set(seed, p);
  }
  return p;
}

/** Bytes before row j of a stream (C(j) in {@link RowStream}). */
export function streamBefore(x: RowStream, j: number): number {
  const p = x.len.length;
  const q = Math.floor(j / p);
  return q * x.periodSum + x.prefix[j - q * p]!;
}

/** The column of rows [row0, row0 + n) of a stream: Utf8 offsets and bytes (a window of the stream when it fits). */
export function streamWindow(x: RowStream, row0: number, n: number): { offsets: Int32Array; bytes: Uint8Array } {
  const offsets = new Int32Array(n + 1);
  const len = x.len;
  const period = len.length;
  let k = row0 % period;
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += len[k]!;
    offsets[i + 1] = total;
    if (++k === period) k = 0;
  }
  const start = (streamBefore(x, row0) + x.shift) % x.bytePeriod;
  if (start + total <= x.bytes.length) return { offsets, bytes: x.bytes.subarray(start, start + total) };
  const bytes = new Uint8Array(total);
  let pos = start;
  for (let p = 0; p < total; ) {
    const m = Math.min(total - p, x.bytePeriod - pos);
    bytes.set(x.bytes.subarray(pos, pos + m), p);
    p += m;
    pos = 0;
  }
  return { offsets, bytes };
}
