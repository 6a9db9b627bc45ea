/**
 * Through `bastion run`, an SDK client sees every tool, prompt and resource of the real npm
 * servers and of the fixture (over stdio, Streamable HTTP and legacy SSE), namespaced, and can
 * call each kind. Content passes untouched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { startBastion, ALLOW_ALL, writeConfig, type Started } from '../helpers/bastion.js';
import { fixtureStdio, realServers, startFixtureHttp } from '../helpers/fixtures.js';
import { BASTION_BIN } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

describe('aggregation through bastion run', () => {
  let bastion: Started;
  let configFile: string;
  let client: Client;
  let dir: string;
  const stops: Array<() => void> = [];

  before(async () => {
    const http = await startFixtureHttp('http');
    const sse = await startFixtureHttp('sse');
    stops.push(http.stop, sse.stop);
    const real = realServers();
    dir = real.dir;
    configFile = writeConfig({
      policy: ALLOW_ALL,
      mcpServers: {
        ...real.servers,
        fx: fixtureStdio(),
        fxhttp: { url: `${http.url}/mcp` }, // no type: detected as Streamable HTTP
        fxsse: { url: `${sse.url}/sse`, type: 'sse' },
        fxauto: { url: `${sse.url}/sse` }, // no type: falls back to legacy SSE
        fxpaged: fixtureStdio({ FIXTURE_PAGE_SIZE: '4' }),
      },
    });
    bastion = await startBastion(configFile);
    client = bastion.client;
  });

  after(async () => {
    await bastion?.close();
    for (const stop of stops) stop();
  });

  it('lists the tools of every server, namespaced and valid under client naming rules', async () => {
    const { tools, nextCursor } = await client.listTools();
    assert.equal(nextCursor, undefined);
    const names = tools.map((tool) => tool.name);
    for (const name of ['fs__write_file', 'fs__list_directory', 'memory__create_entities', 'memory__read_graph', 'everything__echo', 'everything__get-sum']) {
      assert.ok(names.includes(name), `${name} is listed`);
    }
    for (const server of ['fx', 'fxhttp', 'fxsse', 'fxauto', 'fxpaged']) {
      assert.ok(names.includes(`${server}__test_simple_text`), `${server}__test_simple_text is listed`);
    }
    // The paged fixture serves its tools 4 at a time; Bastion merges every page.
    const paged = names.filter((name) => name.startsWith('fxpaged__'));
    const plain = names.filter((name) => name.startsWith('fx__'));
    assert.deepEqual(paged.map((name) => name.slice('fxpaged__'.length)), plain.map((name) => name.slice('fx__'.length)));
    for (const name of names) assert.match(name, /^[A-Za-z0-9_-]{1,64}$/);
    assert.equal(new Set(names).size, names.length, 'names are unique');
  });

  it('keeps every schema keyword, annotation, icon, title and _meta of a tool', async () => {
    const { tools } = await client.listTools();
    const tool = tools.find((candidate) => candidate.name === 'fx__json_schema_2020_12_tool');
    assert.ok(tool);
    const schema = tool.inputSchema as Record<string, unknown>;
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.ok(schema.$defs);
    assert.equal(schema.additionalProperties, false);
    const properties = schema.properties as Record<string, Record<string, unknown>>;
    assert.deepEqual(properties.tags, { type: 'array', prefixItems: [{ type: 'string' }], unevaluatedItems: false });
    assert.deepEqual(properties.code?.dependentRequired, { code: ['name'] });
    assert.ok(tool.outputSchema);
    assert.equal(tool.title, 'JSON Schema 2020-12 tool');
    assert.deepEqual(tool.annotations, { title: 'Schema 2020-12', readOnlyHint: true });
    assert.equal(tool.icons?.[0]?.src, 'https://example.com/icon.png');
    assert.deepEqual(tool._meta, { 'dev.bastion.fixture/kept': true });
  });

  it('calls tools of each server and returns their content untouched', async () => {
    const written = await client.callTool({ name: 'fs__write_file', arguments: { path: join(dir, 'hello.txt'), content: 'hello from bastion' } });
    assert.notEqual(written.isError, true);
    assert.equal(readFileSync(join(dir, 'hello.txt'), 'utf8'), 'hello from bastion');
    const read = await client.callTool({ name: 'fs__read_text_file', arguments: { path: join(dir, 'hello.txt') } });
    assert.deepEqual(read.content, [{ type: 'text', text: 'hello from bastion' }]);

    await client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [{ name: 'Bastion', entityType: 'gateway', observations: ['guards MCP'] }] },
    });
    const graph = await client.callTool({ name: 'memory__read_graph', arguments: {} });
    assert.match(JSON.stringify(graph.content), /guards MCP/);

    const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'ping through' } });
    assert.match(JSON.stringify(echo.content), /ping through/);

    const structured = await client.callTool({ name: 'fx__json_schema_2020_12_tool', arguments: { name: 'x' } });
    assert.deepEqual(structured.structuredContent, { received: { name: 'x' } });
    assert.deepEqual(structured._meta, { 'dev.bastion.fixture/result': 'kept' });

    for (const server of ['fxhttp', 'fxsse', 'fxauto']) {
      const result = await client.callTool({ name: `${server}__test_multiple_content_types`, arguments: {} });
      assert.equal((result.content as unknown[]).length, 3, server);
      assert.deepEqual((result.content as Array<{ type: string }>).map((block) => block.type), ['text', 'image', 'resource']);
    }
    const failing = await client.callTool({ name: 'fx__test_error_handling', arguments: {} });
    assert.equal(failing.isError, true);
  });

  it('merges prompts and gets them by namespaced name', async () => {
    const { prompts } = await client.listPrompts();
    const names = prompts.map((prompt) => prompt.name);
    assert.ok(names.includes('fx__test_prompt_with_arguments'));
    assert.ok(names.some((name) => name.startsWith('everything__')));
    const prompt = await client.getPrompt({ name: 'fx__test_prompt_with_arguments', arguments: { arg1: 'hello', arg2: 'world' } });
    assert.deepEqual(prompt.messages[0]?.content, { type: 'text', text: "Prompt with arguments: arg1='hello', arg2='world'" });
  });

  it('routes resources by URI, templates included, and reports collisions deterministically', async () => {
    const { resources } = await client.listResources();
    const uris = resources.map((resource) => resource.uri);
    // Five fixtures offer test://static-text: the first in config order serves it, once.
    assert.equal(uris.filter((uri) => uri === 'test://static-text').length, 1);
    assert.ok(uris.some((uri) => uri.startsWith('demo://')), 'server-everything resources are listed');
    const text = await client.readResource({ uri: 'test://static-text' });
    assert.deepEqual(text.contents, [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }]);
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.ok(resourceTemplates.some((template) => template.uriTemplate === 'test://template/{id}/data'));
    const templated = await client.readResource({ uri: 'test://template/42/data' });
    assert.match(JSON.stringify(templated.contents), /Data for ID: 42/);
    assert.match(bastion.stderr(), /name or URI offered by two servers/);
  });

  it('forwards completion requests to the server that owns the prompt', async () => {
    const result = await client.complete({ ref: { type: 'ref/prompt', name: 'fx__test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'par' } });
    assert.deepEqual(result.completion.values, ['paris', 'park', 'party']);
  });

  it('forwards logging/setLevel and the log messages of a call', async () => {
    const messages: unknown[] = [];
    client.setNotificationHandler('notifications/message', (notification) => {
      messages.push(notification.params);
    });
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'fx__test_tool_with_logging', arguments: {} });
    await waitFor(() => messages.length >= 3);
    assert.deepEqual(
      messages.slice(0, 3).map((message) => (message as { data: unknown }).data),
      ['Tool execution started', 'Tool processing data', 'Tool execution completed'],
    );
    assert.equal((messages[0] as { logger: string }).logger, 'fx');
  });

  it('forwards resource subscriptions and their update notifications', async () => {
    const updates: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      updates.push(notification.params.uri);
    });
    await client.subscribeResource({ uri: 'test://watched-resource' });
    await client.callTool({ name: 'fx__test_touch_resource', arguments: { uri: 'test://watched-resource' } });
    await waitFor(() => updates.includes('test://watched-resource'));
    await client.unsubscribeResource({ uri: 'test://watched-resource' });
    const after = await client.callTool({ name: 'fx__test_touch_resource', arguments: { uri: 'test://watched-resource' } });
    assert.match(JSON.stringify(after.content), /not subscribed/);
  });

  it('passes list_changed from an upstream to the client; the new tool is held out until approved, then callable', async () => {
    let changed = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed++;
    });
    await client.listTools();
    await client.callTool({ name: 'fx__test_add_tool', arguments: { name: 'late_tool' } });
    await waitFor(() => changed > 0);
    assert.ok(!(await client.listTools()).tools.some((tool) => tool.name === 'fx__late_tool'), 'a tool added after the server was pinned is held out');
    const held = (await client.callTool({ name: 'fx__late_tool', arguments: {} })) as { isError?: boolean; content: Array<{ text: string }> };
    assert.equal(held.isError, true);
    assert.match(held.content[0]!.text, /bastion pins approve fx late_tool/);
    const approve = spawnSync(process.execPath, [BASTION_BIN, 'pins', 'approve', 'fx', 'late_tool', '--config', configFile], {
      encoding: 'utf8',
      env: { ...process.env, BASTION_DATA_DIR: bastion.dataDir },
    });
    assert.equal(approve.status, 0, approve.stderr);
    const { tools } = await client.listTools();
    assert.ok(tools.some((tool) => tool.name === 'fx__late_tool'));
    const result = await client.callTool({ name: 'fx__late_tool', arguments: {} });
    assert.deepEqual(result.content, [{ type: 'text', text: 'late_tool ran' }]);
  });

  it('answers ping', async () => {
    assert.deepEqual(await client.ping(), {});
  });
});
