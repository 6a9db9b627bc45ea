/**
 * The requests a server may send its client (sampling, elicitation, roots), and the client
 * capability each needs: one check wherever Bastion relays them (to a session client, into a
 * stateless client's input-required round) and one list of what its upstream connections answer.
 */
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import { BastionError } from '../errors/bastionError.js';
import type { JsonObject } from './passthrough.js';

export const CLIENT_REQUEST_CAPABILITY = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
} as const satisfies Record<string, keyof ClientCapabilities>;

export function isClientRequest(method: string): method is keyof typeof CLIENT_REQUEST_CAPABILITY {
  return Object.hasOwn(CLIENT_REQUEST_CAPABILITY, method);
}

/** What `declared` lacks for this request ('sampling', 'URL-mode elicitation'), or undefined; other methods need nothing. */
export function missingCapability(declared: ClientCapabilities | undefined, method: string, params: JsonObject | undefined): string | undefined {
  if (!isClientRequest(method)) return undefined;
  const needed = CLIENT_REQUEST_CAPABILITY[method];
  const capability = declared?.[needed] as JsonObject | undefined;
  if (!capability) return needed;
  if (needed === 'elicitation' && params?.mode === 'url' && !capability.url) return 'URL-mode elicitation';
  return undefined;
}

/** The refusal a server gets for a request its client cannot take. */
export function capabilityRefusal(server: string, method: string, missing: string): BastionError {
  return new BastionError('BASTION_CLIENT_CAPABILITY_MISSING', `The client did not declare the ${missing} capability; ${method} from '${server}' was not sent`, { server, method });
}
