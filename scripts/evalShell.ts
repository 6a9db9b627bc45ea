/**
 * `npm run eval:shell`: the public shell-attack and shell-approval cases of ../shared/corpora
 * through the shell guard, under the stated policy: the default guard for terminal tools (the
 * built-in list of read-only commands allowed, anything else ask, dangerous flags ask).
 *
 * Per data set it prints how many must-not-allow cases were allowed (the target is 0) and how
 * many benign cases were blocked (asked or denied). Must-not-allow cases are:
 *   - GTFOBins: every example except plain file reads (which a read-only policy permits);
 *   - argument-injection vectors: every example;
 *   - MCP-SafetyBench: the shell payloads inside its injected texts;
 *   - Dippy: the commands labelled "ask" (not auto-approved).
 * Benign cases are Dippy's auto-approved commands. Exits 1 when a must-not-allow case is allowed.
 * The corpora folder is $BASTION_CORPORA, else ../shared/corpora beside the repository.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { CompiledPolicy } from '../src/policy/policy.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CORPORA = resolve(process.env.BASTION_CORPORA ?? join(REPO, '..', 'shared', 'corpora'));

interface Case {
  readonly command: string;
  readonly mustNotAllow: boolean;
  readonly label: string;
}

const jsonl = (file: string) =>
  readFileSync(join(CORPORA, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

function gtfobins(): Case[] {
  return jsonl('GTFOBins/gtfobins.jsonl')
    .filter((row) => row.function !== 'file-read')
    .map((row) => ({ command: String(row.code), mustNotAllow: true, label: `${String(row.binary)} ${String(row.function)}` }));
}

function argumentInjection(): Case[] {
  const folder = join(CORPORA, 'argument-injection-vectors', '_binaries');
  const cases: Case[] = [];
  for (const file of readdirSync(folder).filter((name) => name.endsWith('.md'))) {
    const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(folder, file), 'utf8'))?.[1];
    const functions = (front ? parseYaml(front) : {})?.functions as Record<string, Array<{ code?: string }>> | undefined;
    for (const [kind, examples] of Object.entries(functions ?? {})) {
      for (const example of examples ?? []) if (example.code) cases.push({ command: example.code, mustNotAllow: true, label: `${file} ${kind}` });
    }
  }
  return cases;
}

/** Shell payloads quoted inside MCP-SafetyBench's poisoned descriptions and outputs. */
function safetyBench(): Case[] {
  const payload = /\b(?:curl|wget|rm|bash|sh|nc|chmod|python3?|scp|ssh|base64)\s[^\n`"]*?(?=\.\s+[A-Z]|\.$|["`]|\n|$)/g;
  const seen = new Set<string>();
  const cases: Case[] = [];
  for (const row of jsonl('MCPSafety/mcp-safetybench-injected-texts.jsonl')) {
    for (const match of String(row.text).matchAll(payload)) {
      const command = match[0].trim().replace(/[.,;]+$/, '');
      if (command.split(/\s+/).length < 2 || seen.has(command)) continue;
      seen.add(command);
      cases.push({ command, mustNotAllow: true, label: String(row.attack_category) });
    }
  }
  return cases;
}

function dippy(): Case[] {
  return jsonl('Dippy/dippy-shell-approval-cases.jsonl').map((row) => ({
    command: String(row.command),
    mustNotAllow: row.auto_approve !== true,
    label: String(row.src),
  }));
}

const DATA_SETS: Array<[string, () => Case[]]> = [
  ['GTFOBins', gtfobins],
  ['argument-injection-vectors', argumentInjection],
  ['MCP-SafetyBench shell payloads', safetyBench],
  ['Dippy', dippy],
];

async function main(): Promise<number> {
  if (!existsSync(CORPORA)) {
    process.stderr.write(`eval:shell: the corpora folder ${CORPORA} is missing; set BASTION_CORPORA to its path\n`);
    return 2;
  }
  const policy = new CompiledPolicy({});
  const terminal = { name: 'start_process', inputSchema: { type: 'object', properties: { command: { type: 'string' } } } };
  console.log('policy: the default shell guard (built-in read-only commands allowed; anything else ask; dangerous flags ask)');
  let leaks = 0;
  for (const [name, load] of DATA_SETS) {
    const cases = load();
    let mustNot = 0;
    let allowedBad = 0;
    let benign = 0;
    let blockedBenign = 0;
    const examples: string[] = [];
    for (const item of cases) {
      const { decision } = await policy.decide({ server: 'term', tool: 'start_process', arguments: { command: item.command }, principal: 'eval', definition: terminal });
      if (item.mustNotAllow) {
        mustNot++;
        if (decision === 'allow') {
          allowedBad++;
          if (examples.length < 10) examples.push(`  allowed: ${JSON.stringify(item.command).slice(0, 120)} (${item.label})`);
        }
      } else {
        benign++;
        if (decision !== 'allow') blockedBenign++;
      }
    }
    leaks += allowedBad;
    console.log(`${name}: ${cases.length} cases; must-not-allow allowed: ${allowedBad} of ${mustNot}; benign blocked: ${blockedBenign} of ${benign}`);
    for (const example of examples) console.log(example);
  }
  return leaks === 0 ? 0 : 1;
}

process.exitCode = await main();
