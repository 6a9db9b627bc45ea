/**
 * Which client requests Bastion serves, and how: merged lists, requests routed to one server,
 * and broadcasts to all. Anything else is not offered.
 */
import type { ListKind } from '../upstream/upstream.js';

export const LIST_METHODS: Readonly<Record<string, ListKind>> = {
  'tools/list': 'tools',
  'prompts/list': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'resourceTemplates',
};

export const ROUTED_METHODS = new Set([
  'tools/call',
  'prompts/get',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'completion/complete',
]);

/**
 * What a 2026-07-28 client may ask Bastion, besides what the SDK answers itself (server/discover,
 * subscriptions/listen): the revision removed subscribe, unsubscribe and setLevel.
 */
export const STATELESS_METHODS = new Set([...Object.keys(LIST_METHODS), 'tools/call', 'prompts/get', 'resources/read', 'completion/complete']);

export const BROADCAST_METHODS = new Set(['logging/setLevel']);

/** Lists are served in pages of this size; upstream pages are merged first. */
export const PAGE_SIZE = 1000;
