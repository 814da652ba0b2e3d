/**
 * Chevrotain's runtime, loaded from its single-file bundle.
 *
 * The package entry pulls in ~600 lodash-es modules, which costs ~250 ms at every start of
 * the CLI; the bundle is the same code in one file. The package's exports map hides the
 * bundle, so it is found next to the entry that `require.resolve` returns. Types still come
 * from 'chevrotain' itself (they are erased).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Chevrotain from 'chevrotain';

const entry = createRequire(import.meta.url).resolve('chevrotain');
const bundle = pathToFileURL(join(dirname(entry), '..', 'chevrotain.mjs')).href;
const chevrotain = (await import(bundle)) as typeof Chevrotain;

export const { CstParser, EOF, Lexer, LLkLookaheadStrategy, createToken, tokenMatcher } = chevrotain;
// Build tools: they must walk the grammar with the same copy of Chevrotain that built it.
export const { generateCstDts, createSyntaxDiagramsCode } = chevrotain;
