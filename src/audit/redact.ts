/**
 * Secret redaction for everything Bastion writes down: audit records, logs and error messages.
 * Two nets, applied to any JSON value:
 *   - by name: the value of a key that names a secret (password, apiKey, GITHUB_TOKEN, ...) is
 *     replaced whole, whatever it looks like;
 *   - by shape: inside every string, known credential formats (cloud keys, VCS and chat tokens,
 *     JWTs, private keys, URL passwords, Authorization values, env-like NAME=value assignments and
 *     --password flags) are replaced, keeping the text around them readable.
 * Operators add their own key and value patterns (RE2 syntax, linear time) in `audit.redact`.
 * `npm test` measures the shapes against the gitleaks and secretlint corpora.
 */
import { RE2JS } from 're2js';

export const REDACTED = '[REDACTED]';

/** Key names, after camelCase and kebab-case are folded to snake_case, whose values are secrets. */
const SECRET_KEY =
  /(?:^|_)(?:password|passwd|passphrase|pwd|secret|secrets|token|apikey|api_key|access_key|secret_key|private_key|credential|credentials|authorization|auth|cookie|set_cookie|session_id|session_token|signature|bearer|client_secret|connection_string|dsn)(?:_|$)/;

/** A key that ends in a secret word, for NAME=value text: GITHUB_TOKEN, DB_PASSWORD, OPENAI_API_KEY. */
const SECRET_NAME = '[A-Za-z0-9_.-]*(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH|_PWD|_DSN)[A-Za-z0-9_]*';

interface Shape {
  readonly pattern: RegExp;
  /** What replaces a match; `$1` and the like keep the non-secret part. */
  readonly replacement: string;
}

/**
 * Known credential formats. Each pattern is anchored on a distinctive prefix or structure, so that
 * ordinary text is left alone; a prefix counts after any non-alphanumeric character, `_` included,
 * so that a token inside an identifier (tool_ghp_...) is found too.
 */
const SHAPES: readonly Shape[] = [
  { pattern: /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g, replacement: REDACTED },
  { pattern: /(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/g, replacement: REDACTED },
  { pattern: /(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g, replacement: REDACTED },
  { pattern: /(?<![A-Za-z0-9])glpat-[A-Za-z0-9_-]{20,}/g, replacement: REDACTED },
  { pattern: /(?<![A-Za-z0-9])xox[abposre]-[A-Za-z0-9-]{10,}/g, replacement: REDACTED },
  { pattern: /\bhttps?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/_-]{20,}/g, replacement: REDACTED },
  { pattern: /(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{16,}/g, replacement: REDACTED },
  { pattern: /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}/g, replacement: REDACTED },
  { pattern: /(?<![A-Za-z0-9])sk-(?:ant-(?:api|admin)\d\d-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g, replacement: REDACTED },
  { pattern: /(?<![A-Za-z0-9])npm_[A-Za-z0-9]{36}\b/g, replacement: REDACTED },
  { pattern: /(?<![A-Za-z0-9])(?:pypi-AgEIcHlwaS5vcmc|hf_[A-Za-z]{34}|dop_v1_[a-f0-9]{64}|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}|ops_eyJ[A-Za-z0-9+/=_-]{100,})[A-Za-z0-9+/=_-]*/g, replacement: REDACTED },
  { pattern: /(?<![A-Za-z0-9])(?:EAA[A-Za-z0-9]{30,}|dapi[a-f0-9]{32}(?:-\d)?|sgp_[A-Za-z0-9_]{20,}|ntn_[A-Za-z0-9]{40,}|secret_[A-Za-z0-9]{43}|lin_api_[A-Za-z0-9]{40}|gl(?:c|sa)_[A-Za-z0-9_=+/-]{32,}|tskey-[a-z]+-[A-Za-z0-9]+-[A-Za-z0-9]+|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+|[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})/g, replacement: REDACTED },
  { pattern: /\b(curl\b[^\n]*?\s(?:-u|--user)\s*)(["']?[^\s:"']+:)([^\s"']+)/g, replacement: `$1$2${REDACTED}` },
  { pattern: /(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replacement: REDACTED },
  { pattern: /\b(Bearer|Basic|Token|Digest)(\s+)[A-Za-z0-9._~+/=-]{8,}/g, replacement: `$1$2${REDACTED}` },
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+@/gi, replacement: `$1${REDACTED}@` },
  { pattern: new RegExp(`\\b(${SECRET_NAME})(["']?\\s*[:=]\\s*)(?!(?:Bearer|Basic|Token|Digest)\\s)("[^"]*"|'[^']*'|[^\\s"',;&|]+)`, 'gi'), replacement: `$1$2${REDACTED}` },
  { pattern: /(--?[A-Za-z-]*(?:password|passwd|token|secret|api-?key|access-?key)[A-Za-z-]*)(=|\s+)(?!-)("[^"]*"|'[^']*'|\S+)/gi, replacement: `$1$2${REDACTED}` },
];

export interface RedactionSettings {
  /** Extra key-name patterns (RE2), matched against the key as written. */
  readonly keys?: readonly string[];
  /** Extra value patterns (RE2); every match inside a string is replaced. */
  readonly patterns?: readonly string[];
}

export class Redactor {
  private readonly extraKeys: readonly RE2JS[];
  private readonly extraPatterns: readonly RE2JS[];

  constructor(settings: RedactionSettings = {}) {
    this.extraKeys = (settings.keys ?? []).map((source) => RE2JS.compile(source, RE2JS.CASE_INSENSITIVE));
    this.extraPatterns = (settings.patterns ?? []).map((source) => RE2JS.compile(source));
  }

  /** Whether a key's value is a secret by its name alone. */
  isSecretKey(key: string): boolean {
    const folded = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[-.\s]/g, '_').toLowerCase();
    return SECRET_KEY.test(folded) || this.extraKeys.some((pattern) => pattern.matcher(key).find());
  }

  /** Replaces every credential-shaped part of a text. */
  text(value: string): string {
    let out = value;
    for (const shape of SHAPES) {
      shape.pattern.lastIndex = 0;
      if (shape.pattern.test(out)) {
        shape.pattern.lastIndex = 0;
        out = out.replace(shape.pattern, shape.replacement);
      }
    }
    for (const pattern of this.extraPatterns) out = pattern.matcher(out).replaceAll(REDACTED);
    return out;
  }

  /** A copy of a JSON value with secrets replaced; the input is never changed, and is returned as is when it holds none. */
  value<T>(input: T): T {
    return this.walk(input, 0) as T;
  }

  private walk(input: unknown, depth: number): unknown {
    if (typeof input === 'string') return this.text(input);
    if (input === null || typeof input !== 'object') return input;
    // Deeper than any sane argument: summarised rather than walked, so that a hostile payload cannot exhaust the stack.
    if (depth > 64) return '[too deep to record]';
    if (Array.isArray(input)) {
      let copy: unknown[] | undefined;
      input.forEach((item, index) => {
        const redacted = this.walk(item, depth + 1);
        if (redacted !== item) (copy ??= [...input])[index] = redacted;
      });
      return copy ?? input;
    }
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(input as Record<string, unknown>)) {
      const redacted = this.isSecretKey(key) && item !== null && item !== '' && typeof item !== 'boolean' && typeof item !== 'number' ? REDACTED : this.walk(item, depth + 1);
      if (redacted !== item) (copy ??= { ...(input as Record<string, unknown>) })[key] = redacted;
    }
    return copy ?? input;
  }
}

/** The redactor with the built-in patterns only: for logs written before a config is loaded. */
export const BUILT_IN_REDACTOR = new Redactor();
