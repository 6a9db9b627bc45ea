/** Architecture rules, checked so that they do not rot as prose (docs/architecture.md). */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const files = sources(join(REPO_ROOT, 'src')).map((path) => ({ path: relative(REPO_ROOT, path), text: readFileSync(path, 'utf8') }));
const imports = (text: string, module: RegExp) => new RegExp(`from ['"]${module.source}['"]`).test(text);

describe('layering', () => {
  it('only src/sandbox/ starts processes', () => {
    for (const { path, text } of files) {
      if (path.startsWith('src/sandbox/')) continue;
      assert.ok(!imports(text, /(node:)?child_process/), `${path} imports child_process`);
      assert.ok(!/StdioClientTransport/.test(text), `${path} starts stdio servers itself`);
    }
  });

  it('only the edges speak HTTP', () => {
    for (const { path, text } of files) {
      if (path.startsWith('src/edges/')) continue;
      assert.ok(!imports(text, /(node:)?https?/), `${path} imports node:http`);
    }
  });

  it('the pipeline stages decide; they do not reach the wire', () => {
    for (const { path, text } of files.filter((file) => file.path.startsWith('src/pipeline/'))) {
      assert.ok(!/ProtocolError/.test(text), `${path} builds wire errors; only edges and errors/toWire do`);
    }
  });

  it('nothing writes to stdout but the stdio edge', () => {
    for (const { path, text } of files) {
      if (path === 'src/edges/stdioTransport.ts') continue;
      assert.ok(!/process\.stdout\.write|console\.log/.test(text), `${path} writes to stdout`);
    }
  });
});
