/**
 * The SQL front end of sluice: text in, AST out (see `ast.ts`). Every syntax mistake is a
 * `SluiceError` with code PARSE, a plain-words message and the position of the fault.
 *
 * @example
 * const script = parse('CREATE SOURCE s (a INT); SELECT a FROM s');
 * script.statements[1].kind; // 'QueryStatement'
 * script.texts[1];           // 'SELECT a FROM s'
 */
import type { CstNode, IRecognitionException, IToken } from 'chevrotain';
import type * as A from './ast.js';
import type { ExpressionOnlyCstNode, ScriptCstNode } from './cst.js';
import { SluiceError, type Span } from '../src/errors.js';
import * as T from './lexer.js';
import { parser } from './parser.js';
import { lexicalError, spanOfToken, syntaxError, unknownCharacterError } from './syntax-errors.js';
import { astBuilder } from './visitor.js';

export { KEYWORDS } from './lexer.js';
export { isDialectError } from './syntax-errors.js';

/** Parentheses deeper than this are refused (the parser is recursive). */
const MAX_NESTING = 200;

type StartRule = 'script' | 'expressionOnly';

function lex(sql: string): IToken[] {
  const result = T.sqlLexer.tokenize(sql);
  const tokens = result.tokens;
  const unknown = result.errors[0];
  let depth = 0;
  for (const tok of tokens) {
    if (unknown !== undefined && unknown.offset < tok.startOffset) break;
    if (T.ERROR_TOKENS.includes(tok.tokenType)) throw lexicalError(tok, sql);
    if (tok.tokenType === T.LParen && ++depth > MAX_NESTING) {
      throw new SluiceError('PARSE', `parentheses nested too deeply (more than ${MAX_NESTING} levels)`, {
        span: spanOfToken(tok),
        sql,
      });
    }
    if (tok.tokenType === T.RParen) depth = Math.max(0, depth - 1);
  }
  if (unknown !== undefined) throw unknownCharacterError(unknown, sql);
  return tokens;
}

/** Runs `fn`, turning a stack overflow on absurdly nested input into a PARSE error. */
function guarded<R>(sql: string, tokens: readonly IToken[], fn: () => R): R {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError) {
      const first = tokens[0];
      const span: Span = first ? spanOfToken(first) : { start: 0, end: 0, line: 1, column: 1 };
      throw new SluiceError('PARSE', 'the statement is nested too deeply to parse', { span, sql });
    }
    throw e;
  }
}

function runParser<R>(sql: string, rule: StartRule, tokens: IToken[], build: (cst: CstNode) => R): R {
  return guarded(sql, tokens, () => {
    try {
      parser.input = tokens;
      const cst = parser[rule]();
      const err: IRecognitionException | undefined = parser.errors[0];
      if (err !== undefined) {
        throw syntaxError(err, tokens, sql, (preceding) => parser.computeContentAssist(rule, preceding));
      }
      return build(cst);
    } finally {
      parser.input = []; // let go of the tokens (and reset after an overflow)
    }
  });
}

/**
 * Parses a script: statements separated by `;` (empty statements and a missing final `;`
 * are fine). Throws a PARSE SluiceError, with line and column, on any syntax error.
 */
export function parse(sql: string): A.Script {
  const tokens = lex(sql);
  return runParser(sql, 'script', tokens, (cst) => {
    astBuilder.reset(sql);
    const statements: A.Statement[] = [];
    const texts: string[] = [];
    let next = 0;
    for (const s of (cst as ScriptCstNode).children.statement ?? []) {
      const start = s.location!.startOffset;
      const end = s.location!.endOffset! + 1;
      while (next < tokens.length && tokens[next]!.startOffset < start) next++;
      const first = next;
      while (next < tokens.length && tokens[next]!.startOffset < end) next++;
      astBuilder.startStatement(tokens.slice(first, next));
      statements.push(astBuilder.statement(s.children));
      texts.push(sql.slice(start, end));
    }
    return { statements, texts, sql };
  });
}

/**
 * Parses exactly one statement (a final `;` is allowed).
 * @example parseStatement('SUBSCRIBE v').kind // 'Subscribe'
 */
export function parseStatement(sql: string): A.Statement {
  const script = parse(sql);
  const [first, second] = script.statements;
  if (first === undefined) {
    throw new SluiceError('PARSE', 'expected a statement, found end of input', {
      span: { start: sql.length, end: sql.length, ...lineColumnAt(sql, sql.length) },
      sql,
    });
  }
  if (second !== undefined) {
    throw new SluiceError('PARSE', 'expected one statement, found a second one', { span: second.span, sql });
  }
  return first;
}

/**
 * Parses one expression, with `?` numbered from 0.
 * @example parseExpression('a + 1').kind // 'Binary'
 */
export function parseExpression(sql: string): A.Expr {
  const tokens = lex(sql);
  return runParser(sql, 'expressionOnly', tokens, (cst) => {
    astBuilder.reset(sql);
    astBuilder.startStatement(tokens);
    return astBuilder.expressionOnly((cst as ExpressionOnlyCstNode).children);
  });
}

function lineColumnAt(sql: string, offset: number): { line: number; column: number } {
  const before = sql.slice(0, offset).split(/\r\n|\r|\n/);
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

// ---------------------------------------------------------------------------------------
// Tokens for syntax highlighting
// ---------------------------------------------------------------------------------------

export type TokenKind =
  | 'keyword'
  | 'identifier'
  | 'string'
  | 'number'
  | 'operator'
  | 'punctuation'
  | 'comment'
  | 'parameter'
  | 'error';

/** A token for syntax highlighting: `text` is `sql.slice(start, end)`. */
export interface SqlToken {
  readonly kind: TokenKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const PUNCTUATION = new Set([T.LParen, T.RParen, T.Comma, T.Dot, T.Semicolon]);

function kindOf(tok: IToken): TokenKind {
  const t = tok.tokenType;
  if (T.ERROR_TOKENS.includes(t)) return 'error';
  if (t === T.LineComment || t === T.BlockComment) return 'comment';
  if (T.KEYWORD_WORDS.has(t)) return 'keyword';
  if (t === T.Identifier || t === T.QuotedIdentifier) return 'identifier';
  if (t === T.StringLiteral) return 'string';
  if (t === T.NumberLiteral) return 'number';
  if (t === T.Question) return 'parameter';
  if (PUNCTUATION.has(t)) return 'punctuation';
  return 'operator';
}

/**
 * Splits `sql` into tokens, comments included, for syntax highlighting. Never throws: an
 * unclosed string, quoted name or comment is one 'error' token running to the end, and an
 * unknown character is an 'error' token. Whitespace is not a token.
 * @example tokenize("SELECT 'a'") // [{kind:'keyword',…}, {kind:'string',…}]
 */
export function tokenize(sql: string): SqlToken[] {
  try {
    const result = T.sqlLexer.tokenize(sql);
    const all: SqlToken[] = [...result.tokens, ...((result.groups['comments'] as IToken[] | undefined) ?? [])].map((tok) => ({
      kind: kindOf(tok),
      text: tok.image,
      start: tok.startOffset,
      end: tok.startOffset + tok.image.length,
    }));
    for (const e of result.errors) {
      all.push({ kind: 'error', text: sql.slice(e.offset, e.offset + e.length), start: e.offset, end: e.offset + e.length });
    }
    return all.sort((a, b) => a.start - b.start);
  } catch {
    return sql.length === 0 ? [] : [{ kind: 'error', text: sql, start: 0, end: sql.length }];
  }
}
