/**
 * The one catalogue of Bastion's local error and denial codes. Each code is stable once released:
 * never reuse or renumber one. `jsonRpc` is the wire code an edge sends for it; docs/errors.md
 * lists the same codes, and a test keeps the two in agreement.
 */
export const ERROR_CATALOGUE = {
  BASTION_CONFIG_INVALID: { jsonRpc: -32603, summary: 'The configuration file is missing, unreadable or invalid.' },
  BASTION_PARSE_ERROR: { jsonRpc: -32700, summary: 'A message from the client is not valid JSON.' },
  BASTION_INVALID_REQUEST: { jsonRpc: -32600, summary: 'A message from the client is JSON but not a valid JSON-RPC message.' },
  BASTION_INVALID_PARAMS: { jsonRpc: -32602, summary: 'A request has missing or malformed parameters, such as an invalid cursor.' },
  BASTION_METHOD_NOT_FOUND: { jsonRpc: -32601, summary: 'No upstream server offers the requested method.' },
  BASTION_UNKNOWN_TOOL: { jsonRpc: -32602, summary: 'The tool name does not belong to any configured server.' },
  BASTION_UNKNOWN_PROMPT: { jsonRpc: -32602, summary: 'The prompt name does not belong to any configured server.' },
  BASTION_UNKNOWN_RESOURCE: { jsonRpc: -32002, summary: 'No upstream server lists the resource URI or a template that matches it.' },
  BASTION_UPSTREAM_UNAVAILABLE: { jsonRpc: -32010, summary: 'The upstream server is not connected: starting, restarting after a crash, or failed.' },
  BASTION_UPSTREAM_TIMEOUT: { jsonRpc: -32001, summary: 'The upstream server did not answer within its timeout; the request was cancelled upstream.' },
  BASTION_UPSTREAM_CLOSED: { jsonRpc: -32011, summary: 'The upstream connection closed while the request was in flight.' },
  BASTION_CLIENT_CAPABILITY_MISSING: { jsonRpc: -32601, summary: 'An upstream asked the client for something (sampling, elicitation, roots) that the client did not declare.' },
  BASTION_NO_CLIENT: { jsonRpc: -32603, summary: 'An upstream sent a request to the client, but no client session can take it.' },
  BASTION_INTERNAL: { jsonRpc: -32603, summary: 'An unexpected error inside Bastion; the request was not forwarded.' },
} as const satisfies Record<string, { jsonRpc: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
