/**
 * `npm run eval:redact`: the secret samples of the gitleaks and secretlint test corpora
 * (../shared/corpora) through the audit redactor. For each corpus it prints how many samples that
 * must be detected were changed (recall), and how many that must not be detected were changed
 * anyway. For a redactor the second figure costs little: those samples are mostly placeholders
 * shaped like keys (AKIAXXXXXXXXXXXXXXXX), which a log is no worse for masking. Exits 1 when
 * recall falls below 80% (gitleaks) or 75% (secretlint).
 * The corpora folder is $BASTION_CORPORA, else ../shared/corpora beside the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redactor } from '../src/audit/redact.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CORPORA = resolve(process.env.BASTION_CORPORA ?? join(REPO, '..', 'shared', 'corpora'));

if (!existsSync(CORPORA)) {
  process.stderr.write(`eval:redact: the corpora folder ${CORPORA} is missing; set BASTION_CORPORA to its path\n`);
  process.exit(2);
}

const redactor = new Redactor();
const jsonl = (file: string) =>
  readFileSync(join(CORPORA, file), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const sets = [
  { name: 'gitleaks', file: 'gitleaks/gitleaks-rule-tps-fps-literals.jsonl', secret: (entry: Record<string, unknown>) => entry.expected === 'detect', label: 'rule_id', floor: 0.8 },
  { name: 'secretlint', file: 'secretlint/secretlint-snapshot-cases.jsonl', secret: (entry: Record<string, unknown>) => entry.expected_detect === true, label: 'rule', floor: 0.75 },
];

let failed = false;
for (const set of sets) {
  const entries = jsonl(set.file);
  const changed = (entry: Record<string, unknown>) => redactor.text(String(entry.text)) !== entry.text;
  const secrets = entries.filter(set.secret);
  const others = entries.filter((entry) => !set.secret(entry));
  const caught = secrets.filter(changed);
  const missed = [...new Set(secrets.filter((entry) => !changed(entry)).map((entry) => String(entry[set.label])))];
  const recall = caught.length / secrets.length;
  console.log(`${set.name}: ${caught.length} of ${secrets.length} secrets redacted (${(recall * 100).toFixed(0)}%); ${others.filter(changed).length} of ${others.length} must-not-detect samples changed`);
  if (missed.length) console.log(`  missed: ${missed.join(', ')}`);
  if (recall < set.floor) failed = true;
}
process.exit(failed ? 1 : 0);
