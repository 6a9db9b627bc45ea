/**
 * The one catalogue of Bastion's local error and denial codes. Each code is stable once released:
 * never reuse or renumber one. `jsonRpc` is the wire code an edge sends for it, and `http` the
 * status the HTTP edge answers with when the error stops a request before any JSON-RPC exchange.
 * `toolResult` marks refusals of a tool call that reach the model as a tool result (isError: true)
 * it can act on, rather than as a protocol error. docs/errors.md lists the same codes, and a test keeps the two in agreement.
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
  BASTION_REQUEST_STATE_INVALID: { jsonRpc: -32602, summary: 'A 2026-07-28 retry carried a requestState that was altered, expired, issued for another request, or whose round is over: send the request again without it.' },
  BASTION_INPUT_INVALID: { jsonRpc: -32602, summary: 'An inputResponses entry is not a valid answer to the question it names (elicitation, sampling or roots result).' },
  BASTION_NO_CLIENT: { jsonRpc: -32603, summary: 'An upstream sent a request to the client, but no client session can take it.' },
  BASTION_SANDBOX_UNAVAILABLE: { jsonRpc: -32010, summary: 'A local server was not started: its OS sandbox cannot be made on this machine (set sandbox: false to run it unsandboxed).' },
  BASTION_PACKAGE_REFUSED: { jsonRpc: -32010, summary: "A server's package differs from bastion.lock (a new version, other contents) or cannot be installed intact: the server was not started (bastion lock --update)." },
  BASTION_INTERNAL: { jsonRpc: -32603, summary: 'An unexpected error inside Bastion; the request was not forwarded.' },
  BASTION_POLICY_DENIED: { jsonRpc: -32003, toolResult: true, summary: 'The policy denied the call. A tool call gets a tool result with isError: true naming the rule.' },
  BASTION_APPROVAL_REQUIRED: { jsonRpc: -32004, toolResult: true, summary: "The call needs a human's approval and none was given (no approval channel, or it timed out): denied." },
  BASTION_AUDIT_UNAVAILABLE: {
    jsonRpc: -32005,
    toolResult: true,
    summary: 'The audit log cannot be written (audit.onFailure: deny): new calls are refused, and a call whose record failed gets this error instead of its result.',
  },
  BASTION_TOOL_CHANGED: {
    jsonRpc: -32006,
    toolResult: true,
    summary: "The tool's definition is new or changed since it was approved: it is held out until a person reviews it (bastion pins diff, bastion pins approve).",
  },
  BASTION_HOST_FORBIDDEN: { jsonRpc: -32000, http: 403, summary: 'The Host header names a host Bastion does not serve (DNS rebinding defence).' },
  BASTION_ORIGIN_FORBIDDEN: { jsonRpc: -32000, http: 403, summary: 'The Origin header names an origin that is not allowed to call Bastion from a browser.' },
  BASTION_BODY_TOO_LARGE: { jsonRpc: -32000, http: 413, summary: 'The request body is larger than serve.maxBodyBytes.' },
  BASTION_BATCH_UNSUPPORTED: { jsonRpc: -32600, http: 400, summary: 'A JSON-RPC batch was sent in a protocol version that has no batches (2025-06-18 and later).' },
  BASTION_SESSION_REQUIRED: { jsonRpc: -32000, http: 400, summary: 'A request other than initialize came without an Mcp-Session-Id header.' },
  BASTION_SESSION_NOT_FOUND: { jsonRpc: -32001, http: 404, summary: 'The Mcp-Session-Id is unknown, or the session ended (DELETE, idle expiry, shutdown): initialize again.' },
  BASTION_TOO_MANY_SESSIONS: { jsonRpc: -32000, http: 503, summary: 'serve.maxSessions sessions are open and every one has a request in flight.' },
  BASTION_SHUTTING_DOWN: { jsonRpc: -32000, http: 503, summary: 'Bastion is shutting down and takes no new requests.' },
  BASTION_METHOD_NOT_ALLOWED: { jsonRpc: -32000, http: 405, summary: 'An MCP endpoint takes POST, GET and DELETE only.' },
  BASTION_NOT_FOUND: { jsonRpc: -32000, http: 404, summary: 'No MCP endpoint at this path, or no configured server of this name.' },
} as const satisfies Record<string, { jsonRpc: number; http?: number; toolResult?: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
