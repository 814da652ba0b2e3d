/** The identifiers of a SQL text, lower-cased (quoted ones unquoted): the names it may read. */
export function namesIn(sql: string): Set<string> {
  const out = new Set<string>();
  for (const m of sql.matchAll(/"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_$]*)/g)) out.add((m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!).toLowerCase());
  return out;
}
