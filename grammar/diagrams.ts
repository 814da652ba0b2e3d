/**
 * Writes `grammar/diagrams.html`, the syntax (railroad) diagrams of every grammar rule,
 * with Chevrotain's `createSyntaxDiagramsCode`. Run `npm run diagrams` after a build; the
 * script lives in dist/grammar/, so the output path is resolved from its own URL (two
 * levels up is the package root) and the script works from any working directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSyntaxDiagramsCode } from 'chevrotain';
import { parser } from './parser.js';

/** The diagrams page for the current grammar. */
export function diagramsHtml(): string {
  return createSyntaxDiagramsCode(parser.getSerializedGastProductions());
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const out = fileURLToPath(new URL('../../grammar/diagrams.html', import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, diagramsHtml());
  console.log(`wrote ${out}`);
}
