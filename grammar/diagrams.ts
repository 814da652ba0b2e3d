/**
 * Writes `grammar/diagrams.html`, the syntax (railroad) diagrams of every grammar rule,
 * with Chevrotain's `createSyntaxDiagramsCode`. Run `npm run diagrams` after a build; the
 * script lives in dist/grammar/, so the output path is resolved from its own URL (two
 * levels up is the package root) and the script works from any working directory.
 *
 * The page is self-contained: Chevrotain's template loads its drawing scripts and style
 * sheet from unpkg.com, so the page would be blank offline or behind a proxy, and would
 * silently draw with whatever those URLs serve one day. The same files ship in the
 * installed chevrotain package (its `diagrams/` folder), so they are inlined from there:
 * the page matches the Chevrotain that serialized the grammar.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createSyntaxDiagramsCode } from './chevrotain.js';
import { parser } from './parser.js';

/** Stands for the resource folder in Chevrotain's template, so each reference can be found and inlined. */
const MARKER = 'sluice-inline:';

/** The `diagrams/` folder of the chevrotain package that this module imports. */
function chevrotainDiagramsDir(): URL {
  // The package's entry point is lib/src/api.js; its exports map hides package.json.
  return new URL('../../diagrams/', pathToFileURL(createRequire(import.meta.url).resolve('chevrotain')));
}

/** A file of Chevrotain's diagrams folder, checked to be safe to place inside `tag`. */
function resource(path: string, tag: 'script' | 'style'): string {
  const text = readFileSync(new URL(path, chevrotainDiagramsDir()), 'utf8');
  if (text.toLowerCase().includes(`</${tag}`)) {
    throw new Error(`cannot inline chevrotain/diagrams/${path}: it contains </${tag}`);
  }
  return text;
}

/** The diagrams page for the current grammar, with no reference outside the page. */
export function diagramsHtml(): string {
  const page = createSyntaxDiagramsCode(parser.getSerializedGastProductions(), {
    resourceBase: MARKER,
    css: `${MARKER}diagrams.css`,
  });
  const inlined = page
    .replace(
      new RegExp(`<link rel='stylesheet' href='${MARKER}([^']+)'>`, 'g'),
      (_, path: string) => `<style>\n${resource(path, 'style')}\n</style>`,
    )
    .replace(
      new RegExp(`<script src='${MARKER}([^']+)'></script>`, 'g'),
      (_, path: string) => `<script>\n${resource(path, 'script')}\n</script>`,
    );
  // A reference left over means Chevrotain's template changed shape: fail rather than
  // write a page that cannot draw.
  if (inlined.includes(MARKER)) {
    throw new Error(`diagrams: Chevrotain's page template changed; a resource was not inlined`);
  }
  return inlined;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const out = fileURLToPath(new URL('../../grammar/diagrams.html', import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, diagramsHtml());
  console.log(`wrote ${out}`);
}
