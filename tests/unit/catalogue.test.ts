import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE } from '../../src/errors/catalogue.js';
import { REPO_ROOT } from '../helpers/paths.js';

describe('error catalogue', () => {
  it('agrees with docs/errors.md, code for code and wire code for wire code', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
    const documented = new Map([...doc.matchAll(/^\| `(BASTION_[A-Z_]+)` \| (-?\d+) \|/gm)].map((match) => [match[1], Number(match[2])]));
    assert.deepEqual(
      [...documented.entries()].sort(),
      Object.entries(ERROR_CATALOGUE).map(([code, entry]) => [code, entry.jsonRpc]).sort(),
    );
  });
});
