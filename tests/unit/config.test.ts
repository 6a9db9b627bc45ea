import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configJsonSchema } from '../../src/config/jsonSchema.js';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.js';
import { REPO_ROOT } from '../helpers/paths.js';

const problemsOf = (text: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseConfig('/etc/bastion.yaml', text, { env });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
};

describe('config', () => {
  it('compiles a claude_desktop_config.json-shaped file with defaults', () => {
    const config = parseConfig(
      '/home/u/claude_desktop_config.json',
      JSON.stringify({
        mcpServers: {
          fs: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] },
          remote: { url: 'https://example.com/mcp', headers: { Authorization: 'Bearer ${TOKEN}' }, timeout: '5s' },
          legacy: { type: 'sse', url: 'http://127.0.0.1:9/sse', timeout: 2 },
          off: { command: 'x', disabled: true },
        },
      }),
      { env: { TOKEN: 'secret-value', HOME: '/home/u' } },
    );
    assert.deepEqual(config.servers.map((server) => [server.name, server.transport, server.timeoutMs]), [
      ['fs', 'stdio', 60_000],
      ['remote', 'auto', 5_000],
      ['legacy', 'sse', 2_000],
    ]);
    const remote = config.servers[1];
    assert.ok(remote && remote.transport !== 'stdio');
    assert.equal(remote.headers.Authorization, 'Bearer secret-value');
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.servers));
    assert.match(config.warnings.join('\n'), /mcpServers\.off: disabled/);
  });

  it('resolves dataDir from the file, then BASTION_DATA_DIR, then the default', () => {
    assert.equal(parseConfig('/a/b.yaml', 'mcpServers: {}\ndataDir: state', { env: {} }).dataDir, '/a/state');
    assert.equal(parseConfig('/a/b.yaml', 'mcpServers: {}', { env: { BASTION_DATA_DIR: '/var/lib/bastion' } }).dataDir, '/var/lib/bastion');
    assert.match(parseConfig('/a/b.yaml', 'mcpServers: {}', { env: {} }).dataDir, /\.local\/share\/bastion$/);
  });

  it('names every problem by path', () => {
    assert.deepEqual(problemsOf('mcpServers:\n  fs:\n    command: npx\n    args: [a, 3]\n'), ['mcpServers.fs.args[1]: Invalid input: expected string, received number']);
    assert.deepEqual(problemsOf('mcpServers:\n  fs:\n    url: https://x.test/mcp\n    headres: {}\n'), ['mcpServers.fs.headres: unknown key (check its spelling)']);
    assert.match(problemsOf('mcpServers:\n  fs:\n    command: x\n    timeout: soon\n').join(), /mcpServers\.fs\.timeout/);
    assert.match(problemsOf('mcpServers:\n  fs:\n    command: ${NOPE}\n').join(), /mcpServers\.fs\.command: environment variable NOPE is not set/);
    assert.match(problemsOf('[1, 2]').join(), /expected an object/);
    assert.match(problemsOf('{}').join(), /mcpServers/);
  });

  it('substitutes ${VAR:-default}', () => {
    const config = parseConfig('/x.yaml', 'mcpServers:\n  a:\n    command: ${CMD:-node}\n', { env: {} });
    assert.equal(config.servers[0]?.transport === 'stdio' && config.servers[0].command, 'node');
  });

  it('keeps the committed JSON Schema in step with the zod schema', () => {
    const committed = JSON.parse(readFileSync(join(REPO_ROOT, 'schema', 'bastion.schema.json'), 'utf8')) as unknown;
    assert.deepEqual(committed, configJsonSchema(), 'run `npm run schema` and commit the result');
  });

  it('loads the shipped example', () => {
    const config = loadConfig(join(REPO_ROOT, 'examples', 'bastion.yaml'), { env: {} });
    assert.deepEqual(config.servers.map((server) => server.name), ['files', 'memory']);
  });
});
