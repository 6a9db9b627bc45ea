/** Opens the configured audit store, for Bastion (to write) or for the CLI (to read). */
import type { AuditSettings } from '../config/compile.js';
import type { Logger } from '../log/logger.js';
import { AuditWriter } from './writer.js';
import type { AuditStore } from './store.js';
import { JsonlStore } from './stores/jsonl.js';
import { PostgresStore } from './stores/postgres.js';
import { SqliteStore } from './stores/sqlite.js';

export async function openStore(settings: AuditSettings, options: { readonly: boolean }): Promise<AuditStore> {
  switch (settings.store) {
    case 'sqlite':
      return new SqliteStore(settings.path, { durability: settings.durability, readonly: options.readonly });
    case 'jsonl':
      return JsonlStore.open(settings.path, { durability: settings.durability, readonly: options.readonly });
    case 'postgres':
      return PostgresStore.open(settings.url as string, settings.table, { create: !options.readonly });
  }
}

/** The audit log Bastion writes to, or undefined when audit.enabled is false. Throws AuditStoreError when the store cannot be opened. */
export async function openAuditWriter(settings: AuditSettings, log: Logger): Promise<AuditWriter | undefined> {
  if (!settings.enabled) {
    log.warn('audit.enabled is false: requests are not recorded');
    return undefined;
  }
  const store = await openStore(settings, { readonly: false });
  log.info({ store: store.location, durability: settings.durability }, 'audit log open');
  return new AuditWriter(store, log.child({ component: 'audit' }));
}
