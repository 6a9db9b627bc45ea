/** How Bastion presents itself to clients of either era: its name, and what it offers (the union of what its servers may offer). */
import { BASTION_NAME, BASTION_VERSION } from '../version.js';

export const SERVER_INFO = { name: BASTION_NAME, version: BASTION_VERSION, title: 'Bastion MCP gateway' };

export const SERVER_CAPABILITIES = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  logging: {},
  completions: {},
};
