/**
 * Syntax errors in plain words. Chevrotain's own messages (token type names, "-->") never
 * reach a user: the parser's `errorMessageProvider` phrases each failure from the tokens
 * it expected, and `syntaxError` improves on that by asking the grammar (content assist)
 * what could have followed the text before the failure, so that skipped optional clauses
 * count too ("expected ',' or FROM after the select list, found 'c'"). A word one typo
 * away from a keyword that fits there is reported as that keyword misspelled, also when
 * the parser first took it for an alias (`SELECT a FORM t`).
 *
 * Errors at the end of the input point just past the last token and say "end of input".
 */
import { EOF, tokenMatcher } from './chevrotain.js';
import type {
  ILexingError,
  IParserErrorMessageProvider,
  IRecognitionException,
  ISyntacticContentAssistPath,
  IToken,
  TokenType,
} from 'chevrotain';
import { SluiceError, type Span } from '../src/errors.js';
import * as T from './lexer.js';
import {
  describeExpected,
  describeTypes,
  foundText,
  keywordText,
  listText,
  STATEMENT_STARTS,
  type Item,
} from './expected.js';

/** What the grammar says may follow a token sequence (Chevrotain content assist). */
export type Suggest = (preceding: IToken[]) => ISyntacticContentAssistPath[];

/**
 * Content assist walks the grammar over every token before the error (about 0.05 ms a
 * token, more with deep nesting); past these limits the parser's own expectation is used.
 */
const MAX_ASSIST_TOKENS = 1000;
const MAX_ASSIST_DEPTH = 40;
/** How many acceptable tokens past the parser's failure point to look for the real fault. */
const MAX_ADVANCE = 4;

function firstTokens(paths: readonly (readonly TokenType[])[]): TokenType[] {
  return paths.map((p) => p[0]).filter((t): t is TokenType => t !== undefined);
}

/** Chevrotain's messages, in plain words: used when content assist cannot say more. */
export const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${describeTypes([expected])}, found ${foundText(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `expected ';' or end of input, found ${foundText(firstRedundant)}`,
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual }) =>
    `expected ${describeTypes(expectedPathsPerAlt.flatMap((alt) => firstTokens(alt)))}, found ${foundText(actual[0]!)}`,
  buildEarlyExitMessage: ({ expectedIterationPaths, actual }) =>
    `expected ${describeTypes(firstTokens(expectedIterationPaths))}, found ${foundText(actual[0]!)}`,
};

// ---------------------------------------------------------------------------------------
// Positions
// ---------------------------------------------------------------------------------------

export function spanOfToken(tok: IToken): Span {
  return { start: tok.startOffset, end: tok.endOffset! + 1, line: tok.startLine!, column: tok.startColumn! };
}

/** Just past `prev` (or the start of the text): where "end of input" is reported. */
function spanAfter(prev: IToken | undefined): Span {
  if (prev === undefined) return { start: 0, end: 0, line: 1, column: 1 };
  const at = prev.endOffset! + 1;
  return { start: at, end: at, line: prev.endLine!, column: prev.endColumn! + 1 };
}

// ---------------------------------------------------------------------------------------
// Lexical errors
// ---------------------------------------------------------------------------------------

/** The PARSE error for a token the lexer could not read properly (see lexer.ts). */
export function lexicalError(tok: IToken, sql: string): SluiceError {
  const span = spanOfToken(tok);
  const caret = { ...span, end: span.start + 1 };
  switch (tok.tokenType) {
    case T.UnterminatedString:
      return new SluiceError('PARSE', 'unterminated string starting here: a string needs a closing quote (\')', { span: caret, sql });
    case T.UnterminatedQuotedIdentifier:
      return new SluiceError('PARSE', 'unterminated quoted name starting here: it needs a closing double quote (")', {
        span: caret,
        sql,
      });
    case T.UnterminatedComment:
      return new SluiceError('PARSE', "unterminated comment starting here: it needs a closing '*/'", { span: { ...span, end: span.start + 2 }, sql });
    default:
      return new SluiceError('PARSE', `unexpected ${foundText(tok)}`, { span, sql });
  }
}

/** The PARSE error for a character no token accepts (a lexer error). */
export function unknownCharacterError(err: ILexingError, sql: string): SluiceError {
  const ch = String.fromCodePoint(sql.codePointAt(err.offset) ?? 0xfffd);
  const span: Span = { start: err.offset, end: err.offset + ch.length, line: err.line ?? 1, column: err.column ?? 1 };
  const shown = /^[\x20-\x7e]$/.test(ch) || ch.length > 1 || /\p{L}/u.test(ch) ? `'${ch}'` : `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return new SluiceError('PARSE', `unexpected character ${shown}`, { span, sql });
}

// ---------------------------------------------------------------------------------------
// Syntax errors
// ---------------------------------------------------------------------------------------

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The keyword among `types` that `word` is a likely misspelling of. */
function misspelledKeyword(word: string, types: Iterable<TokenType>): TokenType | undefined {
  const upper = word.toUpperCase();
  if (upper.length < 3) return undefined;
  let best: { t: TokenType; d: number } | undefined;
  for (const t of types) {
    for (const w of T.KEYWORD_WORDS.get(t) ?? []) {
      if (w.length < 3) continue;
      const d = editDistance(upper, w);
      const limit = Math.min(w.length, upper.length) <= 4 ? 1 : 2;
      if (d > 0 && d <= limit && (best === undefined || d < best.d)) best = { t, d };
    }
  }
  return best?.t;
}

function parenDepth(tokens: readonly IToken[]): number {
  let depth = 0;
  let max = 0;
  for (const t of tokens) {
    if (t.tokenType === T.LParen) max = Math.max(max, ++depth);
    else if (t.tokenType === T.RParen) depth--;
  }
  return max;
}

interface Expectation {
  readonly types: ReadonlySet<TokenType>;
  readonly paths: readonly ISyntacticContentAssistPath[];
}

function expectationAfter(preceding: IToken[], suggest: Suggest): Expectation | undefined {
  if (preceding.length > MAX_ASSIST_TOKENS || parenDepth(preceding) > MAX_ASSIST_DEPTH) return undefined;
  let paths: ISyntacticContentAssistPath[];
  try {
    paths = suggest(preceding);
  } catch {
    return undefined;
  }
  if (paths.length === 0) return undefined;
  return { types: new Set(paths.map((p) => p.nextTokenType)), paths };
}

/** The rule that would read `t` next, or undefined. */
function ruleFor(exp: Expectation, t: TokenType): string | undefined {
  return exp.paths.find((p) => p.nextTokenType === t)?.ruleStack.at(-1);
}

/** "after SELECT", "after ','", "after 'price'": where the failure is, by the token before it. */
function afterText(prev: IToken | undefined): string {
  if (prev === undefined) return '';
  if (T.KEYWORD_WORDS.has(prev.tokenType)) return ` after ${prev.image.toUpperCase()}`;
  return ` after ${foundText(prev)}`;
}

/** "in the column list" and the like, when the first expected token is read by such a rule. */
function contextText(exp: Expectation, items: readonly Item[], prev: IToken | undefined): string {
  const closing = exp.types.has(T.RParen) ? ruleFor(exp, T.RParen) : exp.types.has(T.Comma) ? ruleFor(exp, T.Comma) : undefined;
  const onlyPunct = items.length > 0 && items.every((i) => i.text === "','" || i.text === "')'");
  if (onlyPunct) {
    switch (closing) {
      case 'sourceElementList':
      case 'identList':
        return ' in the column list';
      case 'valuesRow':
        return ' in the VALUES row';
      case 'withOptions':
        return ' in the WITH options';
      case 'functionCall':
        return ' in the function arguments';
      case 'comparisonTail':
        return ' in the IN list';
      default:
        break;
    }
  }
  return afterText(prev);
}

/**
 * The PARSE error for the parser's first error. `tokens` are all the tokens of the text,
 * `suggest` the grammar's content assist from the start rule.
 */
export function syntaxError(err: IRecognitionException, tokens: readonly IToken[], sql: string, suggest: Suggest): SluiceError {
  const tok = err.token;
  let at = tokens.indexOf(tok);
  if (at < 0) at = tokens.length;
  let stmtStart = at;
  while (stmtStart > 0 && tokens[stmtStart - 1]!.tokenType !== T.Semicolon) stmtStart--;
  const prev = at > 0 ? tokens[at - 1] : undefined;
  const isEof = tok.tokenType === EOF || at >= tokens.length;

  let exp = expectationAfter(tokens.slice(stmtStart, at), suggest);
  if (exp !== undefined && !isEof && accepts(exp, tok)) {
    // The grammar accepts the token where the parser's fixed lookahead gave up (`CURRENT`
    // not followed by ROW): the fault is a little further on.
    for (let next = at + 1; next <= Math.min(at + MAX_ADVANCE, tokens.length); next++) {
      const further = expectationAfter(tokens.slice(stmtStart, next), suggest);
      if (further === undefined) break;
      const nextTok = tokens[next];
      if (nextTok === undefined ? !further.types.has(EOF) : !accepts(further, nextTok)) {
        return syntaxErrorAt(next, further, tokens, stmtStart, sql, suggest);
      }
    }
    exp = undefined;
  }
  if (exp === undefined) {
    const message = plainFallback(err.message, isEof, afterText(at > stmtStart ? prev : undefined));
    return new SluiceError('PARSE', message, { span: isEof ? spanAfter(prev) : spanOfToken(tok), sql });
  }
  return syntaxErrorAt(at, exp, tokens, stmtStart, sql, suggest);
}

function accepts(exp: Expectation, tok: IToken): boolean {
  return [...exp.types].some((t) => tokenMatcher(tok, t));
}

/** The message for a failure at `tokens[at]` (or the end), knowing what was expected there. */
function syntaxErrorAt(
  at: number,
  exp: Expectation,
  tokens: readonly IToken[],
  stmtStart: number,
  sql: string,
  suggest: Suggest,
): SluiceError {
  const tok = tokens[at];
  const prev = at > 0 ? tokens[at - 1] : undefined;
  const prevInStatement = at > stmtStart ? prev : undefined;
  const isEof = tok === undefined;
  const span = isEof ? spanAfter(prev) : spanOfToken(tok);
  const found = isEof ? 'end of input' : foundText(tok);
  const fail = (message: string, where: Span = span): SluiceError => new SluiceError('PARSE', message, { span: where, sql });
  const items = describeExpected(
    exp.paths.map((p) => ({ type: p.nextTokenType, ruleStack: p.ruleStack })),
    prevInStatement?.tokenType === T.As,
  );

  // A misspelled keyword where the failure is: `SELEC 1`, `CREATE SORCE …`.
  if (tok !== undefined && tok.tokenType === T.Identifier) {
    const k = misspelledKeyword(tok.image, exp.types);
    if (k !== undefined) {
      if (items[0]?.rank === 0) return fail(`expected ${listText(items)}, found ${found} (did you mean ${keywordText(k)}?)`);
      return fail(`expected ${keywordText(k)}${keywordContext(exp, k, prevInStatement)}, found ${found}`);
    }
  }
  // A misspelled keyword just before, which the parser took for a name: `SELECT a FORM t`.
  if (prevInStatement !== undefined && prevInStatement.tokenType === T.Identifier) {
    const before = expectationAfter(tokens.slice(stmtStart, at - 1), suggest);
    const k = before && misspelledKeyword(prevInStatement.image, before.types);
    if (before !== undefined && k !== undefined) {
      const prevPrev = at - 2 >= stmtStart ? tokens[at - 2] : undefined;
      return fail(
        `expected ${keywordText(k)}${keywordContext(before, k, prevPrev)}, found ${foundText(prevInStatement)}`,
        spanOfToken(prevInStatement),
      );
    }
  }
  // A statement where one could end: the `;` before it is missing.
  if (tok !== undefined && exp.types.has(T.Semicolon) && STATEMENT_STARTS.has(tok.tokenType) && tok.tokenType !== T.LParen) {
    return fail(`expected ';' before the next statement, found ${found}`);
  }
  // After a complete select list: the usual next things are a comma and FROM.
  if (exp.types.has(T.From) && exp.types.has(T.Comma) && ruleFor(exp, T.From) === 'fromClause') {
    const closing = exp.types.has(T.RParen) ? ", FROM or ')'" : ' or FROM';
    return fail(`expected ','${closing} after the select list, found ${found}`);
  }
  return fail(`expected ${listText(items)}${contextText(exp, items, prevInStatement)}, found ${found}`);
}

function keywordContext(exp: Expectation, k: TokenType, prev: IToken | undefined): string {
  if (k === T.From && ruleFor(exp, T.From) === 'fromClause') return ' after the select list';
  return afterText(prev);
}

/** The provider's message (already plain words), with the place and EOF wording added. */
function plainFallback(message: string, isEof: boolean, after: string): string {
  const i = message.lastIndexOf(', found ');
  if (i < 0) return message;
  return `${message.slice(0, i)}${after}, found ${isEof ? 'end of input' : message.slice(i + ', found '.length)}`;
}

/**
 * PARSE errors about text that is sluice's dialect, which DuckDB would read differently:
 * a front end that tries DuckDB on text sluice cannot parse (pull queries) must report
 * these instead, or the same words would mean one thing in a view and another in a query.
 */
const dialectErrors = new WeakSet<SluiceError>();

export function dialectError(message: string, span: Span, sql: string): SluiceError {
  const e = new SluiceError('PARSE', message, { span, sql });
  dialectErrors.add(e);
  return e;
}

/** Whether `e` is a {@link dialectError}: final, never a reason to try DuckDB's parser. */
export function isDialectError(e: unknown): boolean {
  return e instanceof SluiceError && dialectErrors.has(e);
}
