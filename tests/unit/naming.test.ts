import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCursor, encodeCursor, paginate } from '../../src/gateway/cursor.js';
import { namespacedName } from '../../src/gateway/naming.js';

describe('tool names', () => {
  it('prefixes the server', () => {
    assert.equal(namespacedName('fs', 'read_file'), 'fs__read_file');
    assert.equal(namespacedName('fs', 'read__file'), 'fs__read__file');
  });

  it('makes names that clients reject valid and unique', () => {
    const dotted = namespacedName('api', 'files.read');
    const slashed = namespacedName('api', 'files/read');
    const long = namespacedName('server', 'x'.repeat(100));
    for (const name of [dotted, slashed, long]) assert.match(name, /^[A-Za-z0-9_-]{1,64}$/);
    assert.notEqual(dotted, slashed);
  });
});

describe('cursors', () => {
  it('round-trip and page a merged list', () => {
    assert.equal(decodeCursor(encodeCursor(40)), 40);
    const items = Array.from({ length: 5 }, (_, index) => index);
    const first = paginate(items, undefined, 2);
    assert.deepEqual(first.page, [0, 1]);
    const second = paginate(items, first.nextCursor, 2);
    assert.deepEqual(second.page, [2, 3]);
    const last = paginate(items, second.nextCursor, 2);
    assert.deepEqual(last, { page: [4] });
  });

  it('refuse anything that is not a cursor of Bastion', () => {
    for (const bad of ['abc', 'b1.!!', 42, encodeCursor(1).replace('b1.', 'b2.')]) {
      assert.throws(() => decodeCursor(bad), /Invalid cursor/);
    }
  });
});
