/**
 * What a call of a 2026-07-28 client needs from that client. Such a client takes no requests:
 * whatever an upstream (or Bastion, for an approval) asks it during the call (sampling,
 * elicitation, roots) becomes an entry of an input-required result, and the client's retry
 * carries the answers back. One InputRound lives as long as the call, across its rounds.
 *
 * Each question gets a key: the one its asker chose in `_meta["bastion/inputKey"]`, or the kind
 * of question and its rank in the call (`elicitation-1`, `sampling-2`). The keys are the same each
 * time a call asks the same questions, so that answers sent with a fresh call (no requestState)
 * still find their question.
 */
import { specTypeSchemas, type ClientCapabilities } from '@modelcontextprotocol/server';
import { BastionError } from '../errors/bastionError.js';
import { CLIENT_REQUEST_CAPABILITY, isClientRequest, missingCapability } from '../upstream/clientRequests.js';
import { withoutMetaKey, type JsonObject } from '../upstream/passthrough.js';

/** Where an asker names its question's key. */
export const INPUT_KEY_META = 'bastion/inputKey';

/** The result each question's answer must be. */
const RESULTS: Record<keyof typeof CLIENT_REQUEST_CAPABILITY, keyof typeof specTypeSchemas> = {
  'elicitation/create': 'ElicitResult',
  'sampling/createMessage': 'CreateMessageResult',
  'roots/list': 'ListRootsResult',
};

/** A valid key: short, printable, and safe to echo in messages. */
const KEY_SHAPE = /^[A-Za-z0-9_.-]{1,64}$/;

interface Question {
  readonly method: string;
  readonly params: JsonObject;
  readonly resolve: (answer: JsonObject) => void;
  readonly reject: (error: Error) => void;
}

export class InputRound {
  private readonly open = new Map<string, Question>();
  private readonly ranks = new Map<string, number>();
  private listener: (() => void) | undefined;

  constructor(
    private capabilities: ClientCapabilities,
    /** Answers the client sent before it was asked; each is used once. */
    private early: Record<string, unknown> = {},
  ) {}

  /** What the client of the current exchange did not declare for `method`; a method that is no question is never asked. */
  lacks(method: string, params?: JsonObject): string | undefined {
    if (!isClientRequest(method)) return method;
    return missingCapability(this.capabilities, method, params);
  }

  /** Asks the client; resolves when an exchange brings the answer. */
  ask(method: string, params: JsonObject, signal: AbortSignal): Promise<JsonObject> {
    const key = this.keyFor(method, params);
    if (key in this.early) {
      const answer = this.early[key];
      delete this.early[key];
      return Promise.resolve(validAnswer(key, method, answer));
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.open.delete(key);
        reject(signal.reason instanceof Error ? signal.reason : new Error('the call ended before the client answered'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.open.set(key, {
        method,
        params,
        resolve: (answer) => {
          signal.removeEventListener('abort', onAbort);
          resolve(answer);
        },
        reject,
      });
      this.listener?.();
    });
  }

  /** Calls `listener` whenever a new question is waiting. */
  onQuestion(listener: () => void): void {
    this.listener = listener;
  }

  isOpen(key: string): boolean {
    return this.open.has(key);
  }

  get waiting(): boolean {
    return this.open.size > 0;
  }

  /** The open questions, as the `inputRequests` of an input-required result. */
  inputRequests(): JsonObject {
    const requests: JsonObject = {};
    for (const [key, question] of this.open) requests[key] = { method: question.method, params: withoutMetaKey(question.params, INPUT_KEY_META) };
    return requests;
  }

  /**
   * Takes a retry's answers: each open question with an answer is answered; answers to nothing
   * open are ignored. An answer of the wrong shape is refused (and its question stays open).
   */
  answer(responses: Record<string, unknown> | undefined, capabilities: ClientCapabilities): void {
    this.capabilities = capabilities;
    for (const [key, response] of Object.entries(responses ?? {})) {
      const question = this.open.get(key);
      if (!question) continue;
      const answer = validAnswer(key, question.method, response);
      this.open.delete(key);
      question.resolve(answer);
    }
  }

  /** Ends every open question: the call is over, or the client will not come back. */
  abandon(reason: string): void {
    for (const question of this.open.values()) question.reject(new Error(reason));
    this.open.clear();
  }

  private keyFor(method: string, params: JsonObject): string {
    const hint = (params._meta as JsonObject | undefined)?.[INPUT_KEY_META];
    if (typeof hint === 'string' && KEY_SHAPE.test(hint) && !this.open.has(hint)) return hint;
    const short = isClientRequest(method) ? CLIENT_REQUEST_CAPABILITY[method] : 'input';
    const rank = (this.ranks.get(short) ?? 0) + 1;
    this.ranks.set(short, rank);
    return `${short}-${rank}`;
  }
}

function validAnswer(key: string, method: string, answer: unknown): JsonObject {
  const schema = isClientRequest(method) ? specTypeSchemas[RESULTS[method]] : undefined;
  const verdict = schema?.['~standard'].validate(answer);
  if (!schema || !verdict || verdict instanceof Promise || verdict.issues) {
    const issue = verdict && !(verdict instanceof Promise) ? verdict.issues?.[0] : undefined;
    const where = issue?.path?.length ? ` at ${issue.path.map((part) => (typeof part === 'object' ? String(part.key) : String(part))).join('.')}` : '';
    throw new BastionError('BASTION_INPUT_INVALID', `inputResponses.${key} is not a valid answer to ${method}${issue ? `: ${issue.message}${where}` : ''}`, { key, method });
  }
  return answer as JsonObject;
}
