/**
 * JSON held in VARCHAR columns: JSON_EXTRACT (`->`) returns the JSON text of the value at a
 * path, JSON_EXTRACT_STRING (`->>`) its text (a string unquoted, JSON null as SQL NULL), as
 * DuckDB does. Paths: `$.a.b`, `$.a[0]`, `$[#-1]`, `$."key with dots"`, or a bare key
 * (`'a.b'` is the key "a.b") or an integer array index.
 *
 * Numbers are kept as their source text so that big integers print exactly; a number with a
 * fraction or exponent prints as DuckDB (yyjson) prints a double: `1.50` → `1.5`, `1e2` →
 * `100.0`. **Difference**: text that is not JSON gives NULL (DuckDB raises an error).
 */

/**
 * A parsed JSON value: numbers stay text; an object keeps every member in order (DuckDB
 * prints duplicate keys back; a lookup takes the first).
 */
type Json = null | boolean | string | { readonly num: string } | Json[] | { readonly members: [string, Json][] };

let text = '';
let pos = 0;

class Malformed extends Error {}

function ws(): void {
  for (;;) {
    const c = text.charCodeAt(pos);
    if (c === 32 || c === 9 || c === 10 || c === 13) pos++;
    else return;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function value(): Json {
  ws();
  const c = text[pos];
  if (c === '{') {
    pos++;
    const members: [string, Json][] = [];
    ws();
    if (text[pos] === '}') {
      pos++;
      return { members };
    }
    for (;;) {
      ws();
      if (text[pos] !== '"') throw new Malformed();
      const k = str();
      ws();
      if (text[pos++] !== ':') throw new Malformed();
      members.push([k, value()]);
      ws();
      const d = text[pos++];
      if (d === '}') return { members };
      if (d !== ',') throw new Malformed();
    }
  }
  if (c === '[') {
    pos++;
    const a: Json[] = [];
    ws();
    if (text[pos] === ']') {
      pos++;
      return a;
    }
    for (;;) {
      a.push(value());
      ws();
      const d = text[pos++];
      if (d === ']') return a;
      if (d !== ',') throw new Malformed();
    }
  }
  if (c === '"') return str();
  for (const [word, v] of [
    ['true', true],
    ['false', false],
    ['null', null],
  ] as const) {
    if (text.startsWith(word, pos)) {
      pos += word.length;
      return v;
    }
  }
  NUMBER.lastIndex = pos;
  const n = NUMBER.exec(text);
  if (n === null) throw new Malformed();
  pos += n[0].length;
  return { num: n[0] };
}

const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

function str(): string {
  STRING.lastIndex = pos;
  const m = STRING.exec(text);
  if (m === null) throw new Malformed();
  pos += m[0].length;
  return JSON.parse(m[0]) as string;
}

let lastText: string | undefined;
let lastDoc: Json | undefined;

/** Parses a whole document (the last one is remembered: a row is often read by several paths). */
function parseJson(t: string): Json | undefined {
  if (t === lastText) return lastDoc;
  text = t;
  pos = 0;
  let doc: Json | undefined;
  try {
    doc = value();
    ws();
    if (pos !== t.length) doc = undefined;
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    doc = undefined;
  }
  lastText = t;
  lastDoc = doc;
  return doc;
}

type Step = string | number; // a key, or an array index (negative: from the end)

const pathCache = new Map<string, Step[] | null>();

/** Compiles a path; null when it is not one sluice understands (wildcards, bad syntax). */
export function compileJsonPath(path: string): Step[] | null {
  let steps = pathCache.get(path);
  if (steps !== undefined) return steps;
  steps = path.startsWith('$') ? parsePath(path) : [path];
  if (pathCache.size > 500) pathCache.clear();
  pathCache.set(path, steps);
  return steps;
}

function parsePath(path: string): Step[] | null {
  const steps: Step[] = [];
  let i = 1;
  while (i < path.length) {
    if (path[i] === '.') {
      i++;
      if (path[i] === '"') {
        const end = path.indexOf('"', i + 1);
        if (end < 0) return null;
        steps.push(path.slice(i + 1, end));
        i = end + 1;
      } else {
        let j = i;
        while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
        const key = path.slice(i, j);
        if (key === '' || key === '*') return null;
        steps.push(key);
        i = j;
      }
    } else if (path[i] === '[') {
      const end = path.indexOf(']', i);
      if (end < 0) return null;
      const inner = path.slice(i + 1, end).trim();
      const m = /^(#-)?(\d+)$/.exec(inner);
      if (m === null) return null;
      steps.push(m[1] ? -Number(m[2]) : Number(m[2]));
      i = end + 1;
    } else return null;
  }
  return steps;
}

function walk(doc: Json, steps: readonly Step[]): Json | undefined {
  let v: Json | undefined = doc;
  for (const s of steps) {
    if (v === undefined) return undefined;
    if (typeof s === 'string') v = v !== null && typeof v === 'object' && 'members' in v ? v.members.find((m) => m[0] === s)?.[1] : undefined;
    else if (Array.isArray(v)) {
      const k = s < 0 ? v.length + s : s;
      v = Number.isInteger(k) && k >= 0 ? v[k] : undefined;
    } else v = undefined;
  }
  return v;
}

function numberText(n: string): string {
  if (!/[.eE]/.test(n)) return n;
  const x = Number(n);
  if (!Number.isFinite(x)) return n; // yyjson keeps an out-of-range literal as written
  if (Object.is(x, -0)) return '-0.0';
  const s = String(x);
  if (s.includes('e')) return s.replace('e+', 'e');
  return s.includes('.') ? s : `${s}.0`;
}

/** Serializes without spaces, as yyjson writes. */
function serialize(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(serialize).join(',')}]`;
  if ('members' in v) return `{${v.members.map(([k, x]) => `${JSON.stringify(k)}:${serialize(x)}`).join(',')}}`;
  return numberText(v.num);
}

function lookup(json: string, path: string | number): Json | undefined {
  const doc = parseJson(json);
  if (doc === undefined) return undefined;
  const steps = typeof path === 'number' ? [path] : compileJsonPath(path);
  return steps === null ? undefined : walk(doc, steps);
}

/** JSON_EXTRACT / `->`: the JSON text at `path`; null when absent or when `json` is not JSON. */
export function jsonExtract(json: string, path: string | number): string | null {
  const v = lookup(json, path);
  return v === undefined ? null : serialize(v);
}

/** JSON_EXTRACT_STRING / `->>`: as jsonExtract, but a string unquoted and JSON null as NULL. */
export function jsonExtractString(json: string, path: string | number): string | null {
  const v = lookup(json, path);
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : serialize(v);
}
