/**
 * src/decimal.ts: decimal text ↔ unscaled integers, exact rounding, and DuckDB's typing
 * rules. Values are checked against BigInt arithmetic; the types against what DuckDB 1.5
 * reports for the same expressions (`typeof(…)`, recorded here).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decimalLiteralType,
  decimalProductType,
  decimalSumType,
  decimalCommonType,
  decimalRoundType,
  divRound,
  formatDecimal,
  numberToDecimal,
  parseDecimal,
  toUnscaled,
  MAX_UNSCALED,
} from '../src/decimal.js';
import { parseDecimalBytes } from '../src/connectors/parse-value.js';

const safe = fc.integer({ min: -MAX_UNSCALED, max: MAX_UNSCALED });
const scale = fc.integer({ min: 0, max: 12 });

/** Decimal text (sign, integer digits, fraction digits) and its unscaled value at `s`, rounded half away from zero, by BigInt. */
const decimalText = fc
  .tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,9}$/), fc.stringMatching(/^[0-9]{0,9}$/), fc.integer({ min: 0, max: 6 }))
  .map(([neg, int, frac, s]) => {
    const kept = frac.slice(0, s).padEnd(s, '0');
    let v = BigInt(int + kept);
    if (frac.length > s && frac.charCodeAt(s) >= 53) v += 1n;
    const text = `${neg ? '-' : ''}${int}${frac.length > 0 ? `.${frac}` : ''}`;
    return { text, s, want: Number(neg ? -v : v) };
  });

describe('decimal values', () => {
  it('format and parse round-trip every unscaled value at every scale', () => {
    fc.assert(fc.property(safe, scale, (x, s) => parseDecimal(formatDecimal(x, s), s) === x + 0));
  });

  it('parses text exactly, rounding extra digits half away from zero (strings and UTF-8 bytes alike)', () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(decimalText, ({ text, s, want }) => {
        const bytes = enc.encode(text);
        expect(parseDecimal(text, s)).toBe(want + 0);
        expect(parseDecimalBytes(bytes, 0, bytes.length, s)).toBe(want + 0);
      }),
    );
  });

  it('formats at the scale', () => {
    expect(formatDecimal(123450, 2)).toBe('1234.50');
    expect(formatDecimal(-5, 2)).toBe('-0.05');
    expect(formatDecimal(0, 3)).toBe('0.000');
    expect(formatDecimal(-0, 1)).toBe('0.0');
    expect(formatDecimal(42, 0)).toBe('42');
  });

  it('reads other spellings as DuckDB does, and refuses what is no number', () => {
    expect(parseDecimal(' +1.5 ', 1)).toBe(15);
    expect(parseDecimal('.5', 1)).toBe(5);
    expect(parseDecimal('1.', 1)).toBe(10);
    expect(parseDecimal('1e2', 1)).toBe(1000);
    expect(parseDecimal('1.25e-1', 3)).toBe(125);
    expect(parseDecimal('-0.005', 2)).toBe(-1);
    expect(parseDecimal('abc', 2)).toBeNaN();
    expect(parseDecimal('', 2)).toBeNaN();
    expect(parseDecimal('1.2.3', 2)).toBeNaN();
  });

  it('takes a JS number by its shortest digits, not its binary fraction', () => {
    expect(numberToDecimal(2.675, 2)).toBe(268);
    expect(numberToDecimal(0.1, 1)).toBe(1);
    expect(numberToDecimal(1e-7, 8)).toBe(10);
    expect(toUnscaled(12.35, 2)).toBe(1235);
    expect(toUnscaled('12.345', 2)).toBe(1235);
    expect(toUnscaled(7n, 2)).toBe(700);
    expect(toUnscaled(NaN, 2)).toBeNaN();
  });

  it('divides with rounding half away from zero, exactly', () => {
    fc.assert(
      fc.property(safe, fc.integer({ min: 1, max: 15 }), (x, k) => {
        const d = 10n ** BigInt(k);
        const b = BigInt(x);
        const q = b / d;
        const r = b % d;
        const want = 2n * (r < 0n ? -r : r) >= d ? q + (b < 0n ? -1n : 1n) : q;
        return divRound(x, 10 ** k) === Number(want) + 0;
      }),
    );
  });
});

describe("typing, as DuckDB's typeof() reports it", () => {
  it('types literals with a fraction', () => {
    expect(decimalLiteralType('0.908')).toBe('DECIMAL(4,3)');
    expect(decimalLiteralType('12.5')).toBe('DECIMAL(3,1)');
    expect(decimalLiteralType('1.50')).toBe('DECIMAL(3,2)');
    expect(decimalLiteralType('.5')).toBe('DECIMAL(1,1)');
    expect(decimalLiteralType('100.0')).toBe('DECIMAL(4,1)');
    expect(decimalLiteralType('1e3')).toBeUndefined();
  });

  it('types arithmetic, comparisons and ROUND', () => {
    expect(decimalProductType('DECIMAL(4,3)', 'DECIMAL(19,0)')).toBe('DECIMAL(23,3)'); // 0.908 * BIGINT
    expect(decimalSumType('DECIMAL(10,0)', 'DECIMAL(2,1)')).toBe('DECIMAL(12,1)'); // INT + 0.5
    expect(decimalSumType('DECIMAL(19,0)', 'DECIMAL(2,1)')).toBe('DECIMAL(21,1)'); // BIGINT + 0.5
    expect(decimalSumType('DECIMAL(18,2)', 'DECIMAL(18,2)')).toBe('DECIMAL(18,2)');
    expect(decimalSumType('DECIMAL(18,2)', 'DECIMAL(19,1)')).toBe('DECIMAL(21,2)');
    expect(decimalProductType('DECIMAL(10,2)', 'DECIMAL(10,2)')).toBe('DECIMAL(18,4)');
    expect(decimalProductType('DECIMAL(18,10)', 'DECIMAL(18,10)')).toBe('DECIMAL(36,20)');
    expect(decimalProductType('DECIMAL(18,9)', 'DECIMAL(18,8)')).toBe('DECIMAL(18,17)');
    expect(decimalCommonType('DECIMAL(2,1)', 'DECIMAL(10,0)')).toBe('DECIMAL(11,1)'); // COALESCE(1.5, INT)
    expect(decimalCommonType('DECIMAL(2,1)', 'DECIMAL(3,2)')).toBe('DECIMAL(3,2)');
    expect(decimalRoundType('DECIMAL(3,2)', 1)).toBe('DECIMAL(3,1)');
    expect(decimalRoundType('DECIMAL(10,3)', 5)).toBe('DECIMAL(10,3)');
    expect(decimalRoundType('DECIMAL(3,1)', -1)).toBe('DECIMAL(3,0)');
  });
});
