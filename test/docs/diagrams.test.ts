import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { diagramsHtml } from '../../grammar/diagrams.js';
import { parser } from '../../grammar/parser.js';

/** The bodies of the page's inline scripts, in page order. */
function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
}

describe('grammar/diagrams.html', () => {
  const html = diagramsHtml();

  it('loads nothing from outside the page (it works offline)', () => {
    const external = [...html.matchAll(/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=[^>]*>/gi)].map((m) => m[0]);
    expect(external).toEqual([]);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!).join('\n');
    expect(styles).not.toMatch(/@import|url\(/i);
    expect(styles).toContain('svg.railroad-diagram');
  });

  it('draws one diagram per grammar rule with only its own scripts', () => {
    // The smallest DOM the drawing scripts touch: the target div, and no elements to
    // attach hover behaviour to.
    const target = { innerHTML: '' };
    const page: Record<string, unknown> = {
      document: {
        getElementById: (id: string) => (id === 'diagrams' ? target : null),
        getElementsByClassName: () => [],
      },
    };
    page['window'] = page;
    for (const script of inlineScripts(html)) runInNewContext(script, page);
    // Each rule's header and diagram, in grammar order.
    const rules = parser.getSerializedGastProductions().flatMap((r) => ('name' in r && typeof r.name === 'string' ? [r.name] : []));
    const drawn = [...target.innerHTML.matchAll(/<h2 class="diagramHeader">([^<]+)<\/h2>/g)].map((m) => m[1]);
    expect(rules).toContain('selectBlock');
    expect(drawn).toEqual(rules);
    expect(target.innerHTML.match(/<svg /g)?.length).toBe(rules.length);
  });
});
