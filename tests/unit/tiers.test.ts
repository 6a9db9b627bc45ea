import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { inferTier } from '../../src/policy/tiers.js';

const tierOf = (name: string, extra: Record<string, unknown> = {}) => inferTier({ name, ...extra }).tier;

describe('tiers', () => {
  it("classifies server-filesystem's tools by name", () => {
    for (const name of ['read_file', 'read_text_file', 'read_media_file', 'read_multiple_files', 'list_directory', 'list_directory_with_sizes', 'directory_tree', 'search_files', 'get_file_info', 'list_allowed_directories']) {
      assert.equal(tierOf(name), 'read', name);
    }
    for (const name of ['write_file', 'edit_file', 'create_directory', 'move_file']) assert.equal(tierOf(name), 'write', name);
  });

  it('reads verbs from the description when the name has none, and code arguments as execute', () => {
    assert.equal(tierOf('directory_listing', { description: 'Lists the entries of a directory.' }), 'read');
    assert.equal(tierOf('terminal', { description: 'A terminal.' }), 'execute');
    assert.equal(tierOf('get_result', { inputSchema: { type: 'object', properties: { command: { type: 'string' } } } }), 'execute', 'a command argument means execute');
    assert.equal(tierOf('sendMessage'), 'execute', 'camelCase names are split');
    assert.equal(tierOf('frobnicate', { description: 'Does things.' }), 'unknown');
  });

  it('lets annotations raise the tier, never lower it', () => {
    assert.equal(tierOf('delete_everything', { annotations: { readOnlyHint: true } }), 'write', 'readOnlyHint cannot lower');
    assert.equal(tierOf('run_shell', { annotations: { readOnlyHint: true, destructiveHint: false } }), 'execute');
    assert.equal(tierOf('read_page', { annotations: { readOnlyHint: false } }), 'write');
    assert.equal(tierOf('read_page', { annotations: { openWorldHint: true } }), 'execute');
    assert.equal(tierOf('frobnicate', { annotations: { readOnlyHint: true } }), 'unknown', 'a claim alone does not classify');
    const destructive = inferTier({ name: 'get_thing', annotations: { destructiveHint: true } });
    assert.deepEqual([destructive.tier, destructive.destructive], ['write', true]);
    assert.equal(inferTier({ name: 'write_file', description: 'Create a new file or completely overwrite an existing file.' }).destructive, true);
  });

  it('lets an explicit tier in the config win', () => {
    const config = parseConfig('/etc/b.yaml', 'mcpServers: {}\npolicy:\n  tiers:\n    "fs/read_*": execute\n    "db/query": { tier: write, destructive: true }\n', { env: {} });
    assert.equal(config.policy.classify('fs', 'read_file', { name: 'read_file', annotations: { readOnlyHint: true } }).tier, 'execute');
    assert.deepEqual(config.policy.classify('db', 'query'), { tier: 'write', destructive: true, reasons: ['config: policy.tiers["db/query"] is write'] });
  });
});
