// Reads the tested SQL out of docs/pipelines/queries.md: each block follows a marker line
// `<!-- query: NAME (engine, engine) -->`, so the page and the test cannot drift apart.

/** One SQL block of the page. */
export interface DocQuery {
  name: string;
  engines: string[];
  sql: string;
}

const MARKER = /<!-- query: ([\w-]+) \(([\w, ]+)\) -->\n```sql\n([\s\S]*?)\n```/g;

/** Every marked SQL block, in page order. */
export function extractQueries(markdown: string): DocQuery[] {
  return [...markdown.matchAll(MARKER)].map((m) => ({
    name: m[1] ?? '',
    engines: (m[2] ?? '').split(',').map((e) => e.trim()),
    sql: m[3] ?? '',
  }));
}
