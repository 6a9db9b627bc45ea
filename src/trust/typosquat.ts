/**
 * Typosquats of well-known MCP server packages: a name within a small edit distance of a known one
 * (`@modelcontextprotocol/server-filesytem`), or one that reads the same once look-alike
 * characters are folded (`@modelcontextprotoco1/server-filesystem`, Cyrillic letters in a scope).
 * A warning, not a refusal: the operator may mean it.
 */
import { remove as foldUnicodeConfusables } from 'confusables';
import { distance } from 'fastest-levenshtein';

/** Packages that people put in their MCP configs, and so that squatters imitate. */
export const KNOWN_MCP_PACKAGES = Object.freeze([
  '@modelcontextprotocol/server-filesystem', '@modelcontextprotocol/server-memory', '@modelcontextprotocol/server-everything',
  '@modelcontextprotocol/server-github', '@modelcontextprotocol/server-gitlab', '@modelcontextprotocol/server-git', '@modelcontextprotocol/server-fetch',
  '@modelcontextprotocol/server-puppeteer', '@modelcontextprotocol/server-postgres', '@modelcontextprotocol/server-sqlite',
  '@modelcontextprotocol/server-slack', '@modelcontextprotocol/server-brave-search', '@modelcontextprotocol/server-google-maps',
  '@modelcontextprotocol/server-sequential-thinking', '@modelcontextprotocol/server-time', '@modelcontextprotocol/server-redis',
  '@modelcontextprotocol/server-aws-kb-retrieval', '@modelcontextprotocol/server-gdrive', '@modelcontextprotocol/server-sentry',
  '@modelcontextprotocol/inspector', '@wonderwhy-er/desktop-commander', '@playwright/mcp', '@upstash/context7-mcp', '@notionhq/notion-mcp-server',
  '@supabase/mcp-server-supabase', '@stripe/mcp', '@cloudflare/mcp-server-cloudflare', '@sentry/mcp-server', 'mcp-server-kubernetes',
  'firecrawl-mcp', 'mcp-remote', 'supergateway', 'mcp-proxy', 'exa-mcp-server', 'tavily-mcp', '@browsermcp/mcp', 'figma-developer-mcp',
]);

/** Folds characters that look alike, Unicode and ASCII, so that a look-alike name folds to the name it imitates. */
export function skeleton(name: string): string {
  return foldUnicodeConfusables(name.normalize('NFKC'))
    .toLowerCase()
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w')
    .replace(/[1|i]/g, 'l')
    .replace(/0/g, 'o')
    .replace(/5/g, 's');
}

export interface TyposquatWarning {
  readonly name: string;
  readonly resembles: string;
  readonly how: 'look-alike characters' | 'edit distance';
}

export function typosquatOf(name: string): TyposquatWarning | undefined {
  if (KNOWN_MCP_PACKAGES.includes(name)) return undefined;
  const folded = skeleton(name);
  for (const known of KNOWN_MCP_PACKAGES) {
    if (skeleton(known) === folded) return { name, resembles: known, how: 'look-alike characters' };
  }
  for (const known of KNOWN_MCP_PACKAGES) {
    // Short names are close to many things: only names of some length are compared by distance.
    const allowed = known.length >= 16 ? 2 : 1;
    if (Math.abs(known.length - name.length) <= allowed && distance(known, name) <= allowed) return { name, resembles: known, how: 'edit distance' };
  }
  return undefined;
}
