/**
 * The shell guard: decides a command line from command patterns, after parsing it with a real
 * shell parser. Every simple command the line would run must be allowed for the line to be
 * allowed: commands inside substitutions, pipelines, subshells and `sh -c` strings included, and
 * wrappers (sudo, env, xargs, timeout, find -exec...) looked through. A pattern is a list of
 * words; a trailing `*` matches any further arguments, or none; words match whole words.
 */
import { outranks, type PolicyVerdict } from '../verdict.js';
import { PathRoots } from '../pathWithin.js';
import { dangerousFlag } from './dangerousFlags.js';
import { interpreterProblem } from './defaults.js';
import { parseShell } from './parser.js';
import { commandsOf } from './simpleCommands.js';
import { unwrap, type Words } from './wrappers.js';

export interface ShellGuardSpec {
  readonly allow?: readonly string[];
  readonly ask?: readonly string[];
  readonly deny?: readonly string[];
  /** For a command that matches no pattern. Default ask. */
  readonly otherwise?: PolicyVerdict;
  /** What a dangerous flag on an allowed command turns it into. Default ask. */
  readonly dangerousFlags?: 'ask' | 'deny';
  /** Roots where redirections may write; without them, any write to a file is denied. */
  readonly writes?: readonly string[];
}

export interface ShellVerdict {
  readonly decision: PolicyVerdict;
  /** One reason per offending command (or line-wide problem). */
  readonly reasons: readonly string[];
  /**
   * The commands that ask only because no pattern allows them (unmatched, or an ask pattern).
   * A person may grant a pattern that covers them; commands that ask for other reasons
   * (dangerous flags, privileges, computed arguments) are never covered that way.
   */
  readonly grantable: ReadonlyArray<readonly string[]>;
  /** Whether every command that asks is grantable. */
  readonly onlyGrantable: boolean;
}

/** `sh -c` inside `sh -c`... beyond this depth the line is refused. */
const MAX_DEPTH = 4;

interface Pattern {
  readonly words: readonly string[];
  readonly rest: boolean;
  readonly text: string;
}

function compilePattern(text: string): Pattern {
  const words = text.trim().split(/\s+/);
  const rest = words[words.length - 1] === '*';
  return { words: rest ? words.slice(0, -1) : words, rest, text };
}

function matches(pattern: Pattern, words: Words): boolean {
  if (words.length < pattern.words.length || (!pattern.rest && words.length !== pattern.words.length)) return false;
  return pattern.words.every((word, index) => word === '*' ? words[index] !== null : words[index] === word);
}

interface Finding {
  readonly decision: PolicyVerdict;
  readonly reason: string | (() => string);
  /** Set when a pattern granted by a person could cover this command. */
  readonly words?: readonly string[];
}

/** The words of a command a granted pattern may cover: only when the shell computes none of them. */
function literalWords(words: Words): { words?: readonly string[] } {
  return words.every((word) => word !== null) ? { words: words as readonly string[] } : {};
}

/** Whether a pattern (words, trailing `*` for the rest) matches a command. */
export function patternMatches(pattern: string, words: readonly string[]): boolean {
  return matches(compilePattern(pattern), words);
}

const show = (words: Words) => words.map((word) => word ?? '<computed>').join(' ');

export class ShellGuard {
  private readonly allow: readonly Pattern[];
  private readonly ask: readonly Pattern[];
  private readonly deny: readonly Pattern[];
  private readonly otherwise: PolicyVerdict;
  private readonly onDangerousFlag: PolicyVerdict;
  private readonly writeRoots: PathRoots | undefined;

  constructor(spec: ShellGuardSpec, baseDir: string) {
    this.allow = (spec.allow ?? []).map(compilePattern);
    this.ask = (spec.ask ?? []).map(compilePattern);
    this.deny = (spec.deny ?? []).map(compilePattern);
    this.otherwise = spec.otherwise ?? 'ask';
    this.onDangerousFlag = spec.dangerousFlags ?? 'ask';
    this.writeRoots = spec.writes && spec.writes.length > 0 ? new PathRoots(spec.writes, baseDir) : undefined;
  }

  /** Decides a call's command line; `args` are the call's other arguments (the interpreter it asks for). */
  async decide(commandLine: unknown, args?: Record<string, unknown>): Promise<ShellVerdict> {
    if (typeof commandLine !== 'string') return { decision: 'deny', reasons: ['the command is not a string'], grantable: [], onlyGrantable: false };
    const interpreter = interpreterProblem(args);
    if (interpreter) return { decision: 'deny', reasons: [interpreter], grantable: [], onlyGrantable: false };
    const findings: Finding[] = [];
    await this.check(commandLine, 0, findings);
    if (findings.length === 0) return { decision: 'deny', reasons: ['the command line runs nothing Bastion can check'], grantable: [], onlyGrantable: false };
    let decision: PolicyVerdict = 'allow';
    for (const finding of findings) if (outranks(finding.decision, decision)) decision = finding.decision;
    const reasons: string[] = [];
    const grantable: Array<readonly string[]> = [];
    let onlyGrantable = true;
    for (const finding of findings) {
      if (finding.decision !== 'allow' || decision === 'allow') reasons.push(typeof finding.reason === 'string' ? finding.reason : finding.reason());
      if (finding.decision === 'ask') {
        if (finding.words) grantable.push(finding.words);
        else onlyGrantable = false;
      }
    }
    return { decision, reasons, grantable, onlyGrantable: onlyGrantable && decision === 'ask' };
  }

  private async check(source: string, depth: number, findings: Finding[]): Promise<void> {
    if (depth > MAX_DEPTH) {
      findings.push({ decision: 'deny', reason: `shells nested more than ${MAX_DEPTH} deep` });
      return;
    }
    const tree = await parseShell(source);
    let line;
    try {
      line = commandsOf(tree.rootNode);
    } finally {
      tree.delete();
    }
    for (const problem of line.problems) findings.push({ decision: 'deny', reason: problem });
    for (const write of line.writes) {
      const inside = write.target !== null && this.writeRoots ? await this.writeRoots.contains(write.target) : false;
      if (!inside) findings.push({ decision: 'deny', reason: `\`${write.text}\` writes to ${write.target ?? 'a computed file name'}${this.writeRoots ? ' outside the allowed roots' : ''}` });
    }
    for (const command of line.commands) {
      if (command.assignments.length > 0) {
        findings.push({ decision: 'deny', reason: `\`${command.text.slice(0, 80)}\` sets ${command.assignments.map((assignment) => assignment.split('=')[0]).join(', ')} for the command` });
        continue;
      }
      await this.checkCommand(command.words, depth, findings);
    }
  }

  private async checkCommand(words: Words, depth: number, findings: Finding[]): Promise<void> {
    const unwrapped = unwrap(words);
    if (unwrapped.problem) {
      findings.push({ decision: 'deny', reason: `\`${show(words)}\`: ${unwrapped.problem}` });
      return;
    }
    if (unwrapped.words[0] === null || unwrapped.words[0] === undefined) {
      findings.push({ decision: 'deny', reason: `\`${show(words)}\`: the command name is computed by the shell (variable, substitution, glob or quoting trick)` });
      return;
    }
    if (unwrapped.script !== undefined) {
      if (unwrapped.script === null) findings.push({ decision: 'deny', reason: `\`${show(words)}\`: the script given to the shell is computed` });
      else await this.check(unwrapped.script, depth + 1, findings);
      return;
    }
    for (const spawned of unwrapped.spawned) await this.checkCommand(spawned.filter((word) => word !== '{}'), depth, findings);
    const run = unwrapped.words;
    const via = unwrapped.via.length > 0 ? ` (through ${unwrapped.via.join(', ')})` : '';
    // Most commands are allowed and their reason is seldom shown: it is written only when asked for.
    const denied = this.deny.find((pattern) => matches(pattern, run));
    if (denied) {
      findings.push({ decision: 'deny', reason: `\`${show(run)}\`${via} matches deny pattern "${denied.text}"` });
      return;
    }
    const asked = this.ask.find((pattern) => matches(pattern, run));
    if (asked) {
      findings.push({ decision: 'ask', reason: `\`${show(run)}\`${via} matches ask pattern "${asked.text}"`, ...literalWords(run) });
      return;
    }
    const allowed = this.allow.find((pattern) => matches(pattern, run));
    if (!allowed) {
      findings.push({ decision: this.otherwise, reason: `\`${show(run)}\`${via} matches no pattern: ${this.otherwise}`, ...literalWords(run) });
      return;
    }
    const flag = dangerousFlag(run);
    if (flag) findings.push({ decision: this.onDangerousFlag, reason: `\`${show(run)}\`: ${flag}` });
    else if (unwrapped.privileged) findings.push({ decision: 'ask', reason: `\`${show(run)}\` runs with raised privileges${via}` });
    else if (unwrapped.dynamicArguments || run.some((word) => word === null)) {
      findings.push({ decision: 'ask', reason: `\`${show(run)}\`${via} gets arguments the line does not show, which cannot be checked` });
    } else findings.push({ decision: 'allow', reason: () => `\`${show(run)}\`${via} matches allow pattern "${allowed.text}"` });
  }
}
