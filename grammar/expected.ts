/**
 * What may come next, in words: turns the token types the grammar expected at a failure
 * into a short phrase for an error message ("an expression", "',' or ')'", "a type such
 * as INT, …"). Classes of tokens become one phrase, continuations of an expression
 * already written and optional modifiers are left out when anything else fits, keywords
 * read in a fixed phrase are shown as that phrase (OR REPLACE, CURRENT ROW), and at most
 * six alternatives are listed.
 */
import type { IToken, TokenType } from 'chevrotain';
import { EOF } from './chevrotain.js';
import * as T from './lexer.js';

/** At most this many alternatives are listed, then "…". */
const MAX_LISTED = 6;

export const NAME_TOKENS = new Set<TokenType>([T.Identifier, T.QuotedIdentifier, T.NonReserved, T.Reserved]);
export const STATEMENT_STARTS = new Set<TokenType>([
  T.Select,
  T.With,
  T.Create,
  T.Insert,
  T.Subscribe,
  T.Drop,
  T.Alter,
  T.Show,
  T.Describe,
  T.Desc,
  T.Explain,
  T.Checkpoint,
  T.SetKeyword,
  T.Rebuild,
  T.Update,
  T.Delete,
  T.LParen,
]);
/** Tokens that can only begin an expression, or begin one besides other uses. */
const EXPRESSION_STARTS = new Set<TokenType>([
  ...NAME_TOKENS,
  T.NumberLiteral,
  T.StringLiteral,
  T.Question,
  T.LParen,
  T.Minus,
  T.Plus,
  T.Not,
  T.Case,
  T.Cast,
  T.Interval,
  T.Null,
  T.True,
  T.False,
  T.Left,
  T.Right,
  T.TimestampType,
  T.DateType,
  T.Extract,
  T.Position,
  T.Exists,
]);
const VALUE_STARTS = new Set<TokenType>([T.StringLiteral, T.NumberLiteral, T.Minus, T.Plus, T.True, T.False]);
const TYPE_STARTS = new Set<TokenType>([...T.TYPE_TOKENS, T.FloatType]);
/** Tokens that continue an expression already written: left out when anything else fits. */
const CONTINUATIONS = new Set<TokenType>([
  T.Equals,
  T.NotEquals,
  T.Less,
  T.LessEquals,
  T.Greater,
  T.GreaterEquals,
  T.Concat,
  T.Arrow,
  T.LongArrow,
  T.DoubleColon,
  T.Plus,
  T.Minus,
  T.Star,
  T.Slash,
  T.Percent,
  T.Dot,
  T.And,
  T.Or,
  T.Not,
  T.Is,
  T.In,
  T.Between,
  T.Like,
  T.Similar,
  T.Over,
  T.LParen,
]);
/** Optional modifiers: mentioned only when nothing else fits. */
const MINOR = new Set<TokenType>([T.As, T.Asc, T.Desc, T.Nulls, T.Outer, T.Precision, T.Distinct, T.All, T.Ignore, T.Respect]);
const JOIN_WORDS = new Set<TokenType>([T.Join, T.Inner, T.Left, T.Right, T.Full, T.Cross]);
const TWO_WORDS = new Map<TokenType, string>([
  [T.Group, 'GROUP BY'],
  [T.Order, 'ORDER BY'],
  [T.Partition, 'PARTITION BY'],
]);
/** Display order of keywords; the others follow alphabetically. */
const KEYWORD_RANK: readonly TokenType[] = [
  T.From,
  T.Join,
  T.Where,
  T.Group,
  T.Having,
  T.Union,
  T.Order,
  T.Limit,
  T.Emit,
  T.On,
  T.Using,
  T.As,
  T.Then,
  T.When,
  T.Else,
  T.End,
  T.And,
];

/** One thing that may come next, in words, with its rank in the list. */
export interface Item {
  readonly text: string;
  readonly rank: number;
}

export function keywordText(t: TokenType): string {
  return TWO_WORDS.get(t) ?? T.KEYWORD_WORDS.get(t)?.[0] ?? t.name;
}

function tokenText(t: TokenType): string {
  if (t === EOF) return 'end of input';
  if (T.KEYWORD_WORDS.has(t)) return keywordText(t);
  if (t === T.NumberLiteral) return 'a number';
  if (t === T.StringLiteral) return 'a string';
  if (NAME_TOKENS.has(t)) return 'a name';
  return typeof t.LABEL === 'string' ? t.LABEL : 'a token';
}

/** Keywords that only come in a fixed phrase where `rule` reads them. */
const PHRASES: readonly (readonly [TokenType, string, string])[] = [
  [T.Or, 'orReplace', 'OR REPLACE'],
  [T.If, 'ifNotExists', 'IF NOT EXISTS'],
  [T.If, 'ifExists', 'IF EXISTS'],
  [T.Materialized, 'dropStatement', 'MATERIALIZED VIEW'],
  [T.Materialized, 'rebuildStatement', 'MATERIALIZED VIEW'],
  [T.Materialized, 'showStatement', 'MATERIALIZED VIEWS'],
  [T.On, 'emitClause', 'ON WINDOW CLOSE'],
  [T.Current, 'frameBound', 'CURRENT ROW'],
  [T.Watermark, 'watermarkDef', 'WATERMARK FOR'],
  [T.Insert, 'insertStatement', 'INSERT INTO'],
];

function phraseFor(t: TokenType, rule: string | undefined): string {
  return PHRASES.find(([tok, r]) => tok === t && r === rule)?.[2] ?? tokenText(t);
}

function rankOf(t: TokenType): number {
  if (t === EOF) return 1000;
  if (t === T.Semicolon) return 999;
  if (t === T.Comma) return 100;
  if (t === T.RParen) return 101;
  if (!T.KEYWORD_WORDS.has(t)) return 150;
  const i = KEYWORD_RANK.indexOf(t);
  return i >= 0 ? 200 + i : 300;
}

/** The text of the found token, as messages quote it. */
export function foundText(tok: IToken): string {
  if (tok.tokenType === EOF) return 'end of input';
  const firstLine = tok.image.split(/\r\n|\r|\n/)[0] ?? '';
  const short = firstLine.length > 30 ? `${firstLine.slice(0, 30)}…` : firstLine;
  const cut = short !== tok.image;
  if (tok.tokenType === T.StringLiteral) return `the string ${short}${cut && !short.endsWith('…') ? '…' : ''}`;
  return `'${short}${cut && !short.endsWith('…') ? '…' : ''}'`;
}

/** Nouns for a name, by the rule (and occurrence) that would read it. */
function nameNoun(ruleStack: readonly string[]): string | undefined {
  const rule = ruleStack.at(-1) === 'identifier' ? ruleStack.at(-2) : ruleStack.at(-1);
  switch (rule) {
    case 'columnDef':
    case 'watermarkDef':
    case 'identList':
    case 'columnRef':
      return 'a column name';
    case 'tableRef':
    case 'tvfInput':
    case 'changesRef':
    case 'subscribeStatement':
    case 'describeStatement':
    case 'rebuildStatement':
    case 'dropStatement':
      return 'a name';
    case 'createSourceBody':
      return 'a source name';
    case 'createViewBody':
      return 'a view name';
    case 'showStatement':
      return 'a setting name';
    case 'optionKeyPart':
      return 'an option name';
    case 'alias':
      return 'an alias';
    case 'intervalLiteral':
      return undefined; // a unit after INTERVAL '…' is never what is missing
    default:
      return 'a name';
  }
}

/** One token that may come next, and the rule that would read it (when known). */
export interface Next {
  readonly type: TokenType;
  readonly ruleStack: readonly string[];
}

/** Rules that extend an expression already written (operators, `.`, `(` of a call, OVER). */
const EXPRESSION_RULES = new Set([
  'orExpression',
  'andExpression',
  'comparisonExpression',
  'comparisonTail',
  'concatExpression',
  'additiveExpression',
  'multiplicativeExpression',
  'castExpression',
  'columnRef',
  'functionCall',
  'selectItem',
  'primaryExpression',
]);

function isContinuation(n: Next): boolean {
  if (!CONTINUATIONS.has(n.type)) return false;
  const rule = n.ruleStack.at(-1);
  if (rule === undefined) return true;
  if (n.type === T.And && rule === 'comparisonTail') return false; // BETWEEN … AND
  if (rule === 'selectItem') return n.type === T.Dot; // `t.` of `t.*`, but `*` itself is an item
  return EXPRESSION_RULES.has(rule);
}

/** Optional modifiers (`AS`, `DESC`, `DOUBLE PRECISION`, `VARCHAR(n)`, a quoted option key). */
function isMinor(n: Next): boolean {
  const rule = n.ruleStack.at(-1);
  if (n.type === T.LParen && rule === 'typeParams') return true;
  if (n.type === T.StringLiteral && rule === 'optionItem') return true;
  return MINOR.has(n.type);
}

const FROM_ITEM_STARTS = new Set<TokenType>([...NAME_TOKENS, T.Table, T.Tumble, T.Hop, T.Session, T.Cumulate, T.Changes, T.LParen]);

/**
 * The things that may come next, in words and in display order: classes of tokens become
 * one phrase ("an expression", "a type such as …"), continuations of an expression already
 * written and optional modifiers are left out when anything else fits.
 */
export function describeExpected(next: readonly Next[], afterAs = false): Item[] {
  const rest = new Set(next.map((n) => n.type));
  const items: Item[] = [];
  const take = (ts: Iterable<TokenType>): void => {
    for (const t of ts) rest.delete(t);
  };
  if (rest.has(T.Select) && rest.has(T.Create) && rest.has(T.Insert)) {
    items.push({ text: 'a statement (SELECT, CREATE, INSERT, …)', rank: 0 });
    take([...STATEMENT_STARTS, T.Semicolon, EOF]);
  }
  const expression = rest.has(T.Question);
  if (expression) {
    items.push({ text: 'an expression', rank: 2 });
    take(EXPRESSION_STARTS);
  }
  if (rest.has(T.Select) && rest.has(T.With)) {
    items.push({ text: 'a query (SELECT …)', rank: 1 });
    take([T.Select, T.With]);
    if (!rest.has(T.Changes)) take([T.LParen]);
  }
  if (rest.has(T.Changes) && rest.has(T.Tumble)) {
    items.push({ text: 'a source or view name, a subquery or a window function (TUMBLE, HOP, SESSION, CUMULATE)', rank: 1 });
    take(FROM_ITEM_STARTS);
  }
  if (rest.has(T.IntType) && rest.has(T.BigintType)) {
    items.push({ text: 'a type such as INT, BIGINT, DOUBLE, VARCHAR, TIMESTAMP', rank: 3 });
    take(TYPE_STARTS);
  }
  if (rest.has(T.StringLiteral) && rest.has(T.NumberLiteral) && rest.has(T.True)) {
    items.push({ text: 'a value (a string, a number, TRUE or FALSE)', rank: 4 });
    take(VALUE_STARTS);
  }
  if ([...rest].some((t) => NAME_TOKENS.has(t))) {
    for (const n of next) {
      if (!rest.has(n.type) || !NAME_TOKENS.has(n.type)) continue;
      const noun = nameNoun(n.ruleStack);
      // An alias is optional almost everywhere: worth naming only right after AS.
      if (noun !== undefined && (noun !== 'an alias' || afterAs)) items.push({ text: noun, rank: 5 });
    }
    take(NAME_TOKENS);
  }
  if ([...rest].some((t) => JOIN_WORDS.has(t))) {
    take(JOIN_WORDS);
    items.push({ text: 'JOIN', rank: rankOf(T.Join) });
  }
  const all = (t: TokenType, p: (n: Next) => boolean): boolean => next.filter((n) => n.type === t).every(p);
  const major = [...rest].filter((t) => !all(t, isMinor) && !all(t, isContinuation));
  const modifiers = [...rest].filter((t) => all(t, isMinor));
  const chosen = items.length > 0 || major.length > 0 ? major : modifiers.length > 0 ? modifiers : [...rest];
  for (const t of chosen) {
    const rule = next.find((n) => n.type === t)?.ruleStack.at(-1);
    items.push({ text: phraseFor(t, rule), rank: rankOf(t) });
  }
  const seen = new Set<string>();
  return items
    .sort((a, b) => a.rank - b.rank || a.text.localeCompare(b.text))
    .filter((i) => (seen.has(i.text) ? false : (seen.add(i.text), true)));
}

/** `a`, `a or b`, `a, b or c`, and past six items `a, b, …`. */
export function listText(items: readonly Item[]): string {
  const texts = items.map((i) => i.text);
  if (texts.length === 0) return 'something else';
  if (texts.length === 1) return texts[0]!;
  if (texts.length > MAX_LISTED) return `${texts.slice(0, MAX_LISTED).join(', ')}, …`;
  return `${texts.slice(0, -1).join(', ')} or ${texts.at(-1)}`;
}

/** The expected token types in words, without knowing the rules that read them. */
export function describeTypes(types: Iterable<TokenType>): string {
  return listText(describeExpected([...new Set(types)].map((type) => ({ type, ruleStack: [] }))));
}
