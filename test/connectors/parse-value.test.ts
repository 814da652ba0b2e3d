import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBoolean, parseDate, parseNumber, parseTimestamp } from '../../src/connectors/parse-value.js';

describe('parse-value', () => {
  it('parses ISO-8601 timestamps (UTC by default) and epoch milliseconds', () => {
    const cases: [string, number][] = [
      ['2024-01-01T00:00:10Z', Date.UTC(2024, 0, 1, 0, 0, 10)],
      ['2024-01-01 00:00:10.123', Date.UTC(2024, 0, 1, 0, 0, 10, 123)],
      ['2024-01-01T00:00:10.1234567Z', Date.UTC(2024, 0, 1, 0, 0, 10, 123)],
      ['2024-01-01T00:00:10.5', Date.UTC(2024, 0, 1, 0, 0, 10, 500)],
      ['2024-01-01T02:00:10+02:00', Date.UTC(2024, 0, 1, 0, 0, 10)],
      ['2024-01-01T00:00:10-0130', Date.UTC(2024, 0, 1, 1, 30, 10)],
      ['2024-01-01T00:00:10 +05', Date.UTC(2023, 11, 31, 19, 0, 10)],
      ['2024-01-01T00:00', Date.UTC(2024, 0, 1)],
      ['2024-02-29', Date.UTC(2024, 1, 29)],
      ['1969-12-31T23:59:59.999Z', -1],
      ['1704067210000', 1704067210000],
      ['1704067210000.9', 1704067210000],
      [' 2024-01-01T00:00:00Z ', Date.UTC(2024, 0, 1)],
    ];
    for (const [text, expected] of cases) expect([text, parseTimestamp(text)]).toEqual([text, expected]);
    for (const bad of ['', 'abc', '2024-13-01', '2023-02-29', '2024-01-01T24:00:00', '2024-01-01T00:00:10Zjunk', '2024-01-01X00:00', '2024-1-1']) {
      expect([bad, parseTimestamp(bad)]).toEqual([bad, NaN]);
    }
  });

  it('agrees with Date.parse on random ISO timestamps', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }), (d) => {
        expect(parseTimestamp(d.toISOString())).toBe(d.getTime());
      }),
    );
  });

  it('parses dates, numbers and booleans', () => {
    expect(parseDate('1970-01-02')).toBe(1);
    expect(parseDate('2024-01-01')).toBe(19723);
    expect(parseDate('2024-01-01T00:00:00')).toBeNaN();
    expect([parseNumber('12'), parseNumber('-1.5e3'), parseNumber('+.5'), parseNumber('0.1'), parseNumber('123456789012345678')]).toEqual([
      12, -1500, 0.5, 0.1, 123456789012345678,
    ]);
    for (const bad of ['', '-', '1e', '1.2.3', '0x10', 'NaN', '1 2']) expect(parseNumber(bad)).toBeNaN();
    expect(['true', 'T', '1', 'false', 'f', '0', 'FALSE', 'yes'].map(parseBoolean)).toEqual([1, 1, 1, 0, 0, 0, 0, -1]);
  });

  it('parses any double the way Number() does', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = String(x);
        expect(parseNumber(s)).toBe(Number(s));
      }),
    );
  });
});
