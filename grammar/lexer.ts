/**
 * The tokens of sluice's SQL dialect and the one Chevrotain lexer built from them.
 *
 * Keywords are case-insensitive and declared before `Identifier` with `longer_alt`, so
 * `selection` is an identifier and `SELECT` a keyword. They come in two kinds:
 * - RESERVED keywords (SELECT, FROM, JOIN, …) carry the `Reserved` category and can only be
 *   used as names when double-quoted;
 * - NON-RESERVED keywords (SOURCE, DATE, TIMESTAMP, OFFSET, SECOND, …) carry the
 *   `NonReserved` category, which the parser's `identifier` rule accepts, so columns named
 *   `date`, `timestamp`, `source` or `offset` work unquoted.
 *
 * Broken input never makes the lexer fail: an unclosed string, quoted identifier or block
 * comment becomes one `Unterminated…` token running to the end of the text. A character no
 * token accepts is skipped and reported in the lexer's `errors` (offset and length). The
 * parser turns both into PARSE errors at their position; `tokenize` shows them as 'error'
 * tokens.
 */
import type { TokenType } from 'chevrotain';
import { createToken, Lexer } from './chevrotain.js';

// ---------------------------------------------------------------------------------------
// Categories
// ---------------------------------------------------------------------------------------

/** Every keyword, reserved or not. */
export const Keyword = createToken({ name: 'Keyword', pattern: Lexer.NA });
/** Keywords that cannot be used as unquoted names. */
export const Reserved = createToken({ name: 'Reserved', pattern: Lexer.NA });
/** Keywords that may also be used as names (accepted by the parser's `identifier` rule). */
export const NonReserved = createToken({ name: 'NonReserved', pattern: Lexer.NA });
/** Every token but `;`: lets UPDATE / DELETE swallow the rest of their statement. */
export const AnyToken = createToken({ name: 'AnyToken', pattern: Lexer.NA });

// ---------------------------------------------------------------------------------------
// Trivia, literals, names
// ---------------------------------------------------------------------------------------

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED, line_breaks: true });
export const LineComment = createToken({ name: 'LineComment', pattern: /--[^\r\n]*/, group: 'comments' });
export const BlockComment = createToken({
  name: 'BlockComment',
  pattern: /\/\*[\s\S]*?\*\//,
  group: 'comments',
  line_breaks: true,
});
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, line_breaks: true });

/** A name: ASCII letters, digits, `_` and `$`, and (as in PostgreSQL) any non-ASCII character. */
export const Identifier = createToken({
  name: 'Identifier',
  pattern: /[A-Za-z_\u0080-\uFFFF][A-Za-z0-9_$\u0080-\uFFFF]*/,
  categories: [AnyToken],
});
/** `"Name"`: case kept, `""` stands for one `"`. */
export const QuotedIdentifier = createToken({
  name: 'QuotedIdentifier',
  pattern: /"(?:[^"]|"")*"(?!")/,
  line_breaks: true,
  categories: [AnyToken],
});
export const UnterminatedQuotedIdentifier = createToken({
  name: 'UnterminatedQuotedIdentifier',
  pattern: /"[\s\S]*/,
  line_breaks: true,
});
/** `'text'`: `''` stands for one `'`. */
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /'(?:[^']|'')*'(?!')/,
  line_breaks: true,
  categories: [AnyToken],
});
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /'[\s\S]*/, line_breaks: true });
/** Integer, decimal or exponent notation: `42`, `1.5`, `.5`, `1e9`, `2.5E-3`. */
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
  categories: [AnyToken],
});

// ---------------------------------------------------------------------------------------
// Operators and punctuation
// ---------------------------------------------------------------------------------------

function symbol(name: string, pattern: RegExp, label: string): TokenType {
  // line_breaks: none has one, and saying so spares the lexer analysing the pattern.
  return createToken({ name, pattern, label, categories: [AnyToken], line_breaks: false });
}

export const NotEquals = symbol('NotEquals', /<>|!=/, "'<>'");
export const LessEquals = symbol('LessEquals', /<=/, "'<='");
export const GreaterEquals = symbol('GreaterEquals', />=/, "'>='");
export const Less = symbol('Less', /</, "'<'");
export const Greater = symbol('Greater', />/, "'>'");
export const Equals = symbol('Equals', /=/, "'='");
export const Concat = symbol('Concat', /\|\|/, "'||'");
/** JSON operators; `->` cannot occur in other valid SQL (`a - > b` is no expression). */
export const LongArrow = symbol('LongArrow', /->>/, "'->>'");
export const Arrow = symbol('Arrow', /->/, "'->'");
export const DoubleColon = symbol('DoubleColon', /::/, "'::'");
export const Plus = symbol('Plus', /\+/, "'+'");
export const Minus = symbol('Minus', /-/, "'-'");
export const Star = symbol('Star', /\*/, "'*'");
export const Slash = symbol('Slash', /\//, "'/'");
export const Percent = symbol('Percent', /%/, "'%'");
export const LParen = symbol('LParen', /\(/, "'('");
export const RParen = symbol('RParen', /\)/, "')'");
export const Comma = symbol('Comma', /,/, "','");
export const Dot = symbol('Dot', /\./, "'.'");
export const Question = symbol('Question', /\?/, "'?'");
/** Row pattern syntax (MATCH_RECOGNIZE): quantifiers `{n,m}`, alternation, anchors. */
export const LBrace = symbol('LBrace', /\{/, "'{'");
export const RBrace = symbol('RBrace', /\}/, "'}'");
export const Pipe = symbol('Pipe', /\|/, "'|'");
export const Caret = symbol('Caret', /\^/, "'^'");
export const Dollar = symbol('Dollar', /\$/, "'$'");
/** The statement separator; the only token outside the `AnyToken` category. */
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/, label: "';'" });

// ---------------------------------------------------------------------------------------
// Keywords
// ---------------------------------------------------------------------------------------

const keywordTokens: TokenType[] = [];
/** The words each keyword token stands for, upper case (`SECOND` → SECOND, SECONDS). */
export const KEYWORD_WORDS = new Map<TokenType, readonly string[]>();

function keyword(name: string, reserved: boolean, words: readonly string[] = [name.toUpperCase()]): TokenType {
  const sorted = [...words].sort((a, b) => b.length - a.length);
  const token = createToken({
    name,
    pattern: new RegExp(sorted.map((w) => w.toLowerCase()).join('|'), 'i'),
    longer_alt: Identifier,
    label: words[0],
    // A word has no line break: said here, the lexer need not analyse ~150 patterns to learn it.
    line_breaks: false,
  });
  // Categories are given after creation: createToken would rebuild each category's member
  // list at every keyword (quadratic, ~40 ms at start-up); the lexer's construction derives
  // the same category tables once for all tokens.
  token.CATEGORIES = [Keyword, reserved ? Reserved : NonReserved, AnyToken];
  keywordTokens.push(token);
  KEYWORD_WORDS.set(token, words);
  return token;
}
const reserved = (name: string, words?: readonly string[]): TokenType => keyword(name, true, words);
const nonReserved = (name: string, words?: readonly string[]): TokenType => keyword(name, false, words);

// Reserved: clause and operator words, which would make the grammar ambiguous as names.
export const Select = reserved('Select');
export const From = reserved('From');
export const Where = reserved('Where');
export const Group = reserved('Group');
export const By = reserved('By');
export const Having = reserved('Having');
export const Order = reserved('Order');
export const Limit = reserved('Limit');
export const Union = reserved('Union');
export const Intersect = reserved('Intersect');
export const Except = reserved('Except');
export const All = reserved('All');
export const And = reserved('And');
export const Or = reserved('Or');
export const Not = reserved('Not');
export const Null = reserved('Null');
export const True = reserved('True');
export const False = reserved('False');
export const Is = reserved('Is');
export const In = reserved('In');
export const Between = reserved('Between');
export const Like = reserved('Like');
export const Case = reserved('Case');
export const When = reserved('When');
export const Then = reserved('Then');
export const Else = reserved('Else');
export const End = reserved('End');
export const Cast = reserved('Cast');
export const As = reserved('As');
export const On = reserved('On');
export const Join = reserved('Join');
export const Inner = reserved('Inner');
export const Left = reserved('Left');
export const Right = reserved('Right');
export const Full = reserved('Full');
export const Outer = reserved('Outer');
export const Cross = reserved('Cross');
export const Using = reserved('Using');
export const Distinct = reserved('Distinct');
export const With = reserved('With');
export const Create = reserved('Create');
export const Drop = reserved('Drop');
export const Insert = reserved('Insert');
export const Into = reserved('Into');
export const Values = reserved('Values');
export const Update = reserved('Update');
export const Delete = reserved('Delete');
export const SetKeyword = reserved('SetKeyword', ['SET']);
export const Table = reserved('Table');
export const Interval = reserved('Interval');
export const Emit = reserved('Emit');
export const Over = reserved('Over');
export const Partition = reserved('Partition');
export const Asc = reserved('Asc');
export const Desc = reserved('Desc');
export const Of = reserved('Of');
export const For = reserved('For');

// Non-reserved: statement words.
export const Source = nonReserved('Source');
export const Sources = nonReserved('Sources');
export const Sink = nonReserved('Sink');
export const Sinks = nonReserved('Sinks');
export const View = nonReserved('View');
export const Views = nonReserved('Views');
export const Materialized = nonReserved('Materialized');
export const Watermark = nonReserved('Watermark');
export const Subscribe = nonReserved('Subscribe');
export const Checkpoint = nonReserved('Checkpoint');
export const Rebuild = nonReserved('Rebuild');
export const Expected = nonReserved('Expected');
export const Version = nonReserved('Version');
export const SystemTime = nonReserved('SystemTime', ['SYSTEM_TIME']);
export const Show = nonReserved('Show');
export const Describe = nonReserved('Describe');
export const Explain = nonReserved('Explain');
export const Alter = nonReserved('Alter');
export const Add = nonReserved('Add');
export const Column = nonReserved('Column');
export const Default = nonReserved('Default');
export const Replace = nonReserved('Replace');
export const If = nonReserved('If');
export const Exists = nonReserved('Exists');
export const To = nonReserved('To');
export const Rename = nonReserved('Rename');
export const Type = nonReserved('Type');
// Non-reserved: query words.
export const Descriptor = nonReserved('Descriptor');
export const Changes = nonReserved('Changes');
export const Offset = nonReserved('Offset');
export const Similar = nonReserved('Similar');
export const Position = nonReserved('Position');
export const Filter = nonReserved('Filter');
export const Window = nonReserved('Window');
export const Close = nonReserved('Close');
export const Extract = nonReserved('Extract');
export const Tumble = nonReserved('Tumble');
export const Hop = nonReserved('Hop');
export const Session = nonReserved('Session');
export const Cumulate = nonReserved('Cumulate');
export const Rows = nonReserved('Rows');
export const Range = nonReserved('Range');
export const Preceding = nonReserved('Preceding');
export const Following = nonReserved('Following');
export const Current = nonReserved('Current');
export const Row = nonReserved('Row');
export const Unbounded = nonReserved('Unbounded');
export const First = nonReserved('First');
export const Last = nonReserved('Last');
export const Nulls = nonReserved('Nulls');
// `LAG(x) IGNORE NULLS`: the null treatment of a navigation window function.
export const Ignore = nonReserved('Ignore');
export const Respect = nonReserved('Respect');
// Non-reserved: MATCH_RECOGNIZE clause words.
export const MatchRecognize = nonReserved('MatchRecognize', ['MATCH_RECOGNIZE']);
export const Measures = nonReserved('Measures');
export const Pattern = nonReserved('Pattern');
export const Define = nonReserved('Define');
export const Within = nonReserved('Within');
export const One = nonReserved('One');
export const Per = nonReserved('Per');
export const Match = nonReserved('Match');
export const After = nonReserved('After');
export const Skip = nonReserved('Skip');
export const Past = nonReserved('Past');
export const Next = nonReserved('Next');
// Non-reserved: type names (synonyms share a token; the visitor canonicalizes).
export const BooleanType = nonReserved('BooleanType', ['BOOLEAN', 'BOOL']);
export const IntType = nonReserved('IntType', ['INT', 'INTEGER']);
export const BigintType = nonReserved('BigintType', ['BIGINT']);
export const DoubleType = nonReserved('DoubleType', ['DOUBLE']);
export const Precision = nonReserved('Precision');
export const FloatType = nonReserved('FloatType', ['FLOAT', 'REAL']);
export const DecimalType = nonReserved('DecimalType', ['DECIMAL', 'NUMERIC']);
export const VarcharType = nonReserved('VarcharType', ['VARCHAR']);
export const TextType = nonReserved('TextType', ['TEXT', 'STRING']);
export const TimestampType = nonReserved('TimestampType', ['TIMESTAMP']);
export const DateType = nonReserved('DateType', ['DATE']);
// Non-reserved: interval units (singular and plural) and the other EXTRACT fields.
export const Millisecond = nonReserved('Millisecond', ['MILLISECOND', 'MILLISECONDS']);
export const Second = nonReserved('Second', ['SECOND', 'SECONDS']);
export const Minute = nonReserved('Minute', ['MINUTE', 'MINUTES']);
export const Hour = nonReserved('Hour', ['HOUR', 'HOURS']);
export const Day = nonReserved('Day', ['DAY', 'DAYS']);
export const Week = nonReserved('Week', ['WEEK']);
export const Month = nonReserved('Month', ['MONTH']);
export const Quarter = nonReserved('Quarter', ['QUARTER']);
export const Year = nonReserved('Year', ['YEAR']);
export const Dow = nonReserved('Dow', ['DOW']);
export const Doy = nonReserved('Doy', ['DOY']);
export const Epoch = nonReserved('Epoch', ['EPOCH']);

/** The tokens that name a type (the first token of the parser's `typeName` rule). */
export const TYPE_TOKENS: readonly TokenType[] = [
  BooleanType,
  IntType,
  BigintType,
  DoubleType,
  FloatType,
  DecimalType,
  VarcharType,
  TextType,
  TimestampType,
  DateType,
  Interval,
];

/** Tokens that stand for a broken piece of input; the parser reports them before parsing. */
export const ERROR_TOKENS: readonly TokenType[] = [
  UnterminatedString,
  UnterminatedQuotedIdentifier,
  UnterminatedComment,
];

/**
 * Keyword tokens ordered so that a token comes before any token one of whose words is a
 * prefix of one of its own words (INTEGER|INT before INTO before IN, DESCRIBE before DESC):
 * the lexer takes the first pattern that matches.
 */
function orderKeywords(tokens: readonly TokenType[]): TokenType[] {
  // Each step takes the first pending token that shadows no other pending one (the first
  // pending one if every one does). Who shadows whom is found once, from the words'
  // prefixes, rather than searched at each step: that search was cubic in the number of
  // keywords, ~50 ms at every start.
  const n = tokens.length;
  const byWord = new Map<string, number[]>();
  tokens.forEach((t, i) => {
    for (const w of KEYWORD_WORDS.get(t)!) byWord.set(w, [...(byWord.get(w) ?? []), i]);
  });
  // shadows[a] holds b when a word of a is a proper prefix of a word of b.
  const shadows = tokens.map(() => new Set<number>());
  tokens.forEach((t, b) => {
    for (const w of KEYWORD_WORDS.get(t)!) {
      for (let len = 1; len < w.length; len++) for (const a of byWord.get(w.slice(0, len)) ?? []) if (a !== b) shadows[a]!.add(b);
    }
  });
  const shadowedBy: number[][] = tokens.map(() => []);
  const count = new Int32Array(n);
  shadows.forEach((bs, a) => {
    count[a] = bs.size;
    for (const b of bs) shadowedBy[b]!.push(a);
  });
  const pending = tokens.map((_, i) => i);
  const ordered: TokenType[] = [];
  while (pending.length > 0) {
    const at = pending.findIndex((t) => count[t] === 0);
    const [t] = pending.splice(at < 0 ? 0 : at, 1);
    ordered.push(tokens[t!]!);
    for (const a of shadowedBy[t!]!) count[a]!--;
  }
  return ordered;
}
const sortedKeywords = orderKeywords(keywordTokens);

/** Every token type, in the order the lexer tries them. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  StringLiteral,
  UnterminatedString,
  QuotedIdentifier,
  UnterminatedQuotedIdentifier,
  NumberLiteral,
  ...sortedKeywords,
  Identifier,
  NotEquals,
  LessEquals,
  GreaterEquals,
  Less,
  Greater,
  Equals,
  Concat,
  LongArrow,
  Arrow,
  DoubleColon,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  LParen,
  RParen,
  Comma,
  Dot,
  Question,
  LBrace,
  RBrace,
  Pipe,
  Caret,
  Dollar,
  Semicolon,
  Keyword,
  Reserved,
  NonReserved,
  AnyToken,
];

/** Every keyword, upper case, in alphabetical order (for REPL completion). */
export const KEYWORDS: readonly string[] = [...new Set([...KEYWORD_WORDS.values()].flat())].sort();

/**
 * Builds the lexer. `validate` runs Chevrotain's token checks (unreachable patterns and
 * the like, ~40 ms at every start), so the shared instance skips them and a test builds a
 * validated one.
 */
export function buildLexer(validate: boolean): InstanceType<typeof Lexer> {
  return new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: true, skipValidations: !validate });
}

/** The one lexer; its only errors are unknown characters (see the file comment). */
export const sqlLexer = buildLexer(false);
