/**
 * Hot reload: when the config file changes, it is loaded and validated again. A valid file is
 * handed over whole (the gateway swaps its policy atomically); an invalid edit is logged with its
 * problems and changes nothing, so the policy in force stays. Editors that save by renaming are
 * followed, since the folder is watched rather than the file.
 */
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../log/logger.js';
import type { CompiledConfig } from './compile.js';
import { ConfigError, loadConfig } from './load.js';

const SETTLE_MS = 100;

export interface ReloadHandlers {
  readonly onValid: (config: CompiledConfig) => void;
  readonly onRejected: (problems: readonly string[]) => void;
}

export function watchConfig(file: string, handlers: ReloadHandlers, log: Logger): FSWatcher {
  const watcher = watch(file, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: SETTLE_MS, pollInterval: 20 } });
  const reload = () => {
    try {
      const config = loadConfig(file);
      handlers.onValid(config);
      log.info({ config: file }, 'config reloaded: the new policy applies to new calls');
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [(error as Error).message];
      log.error({ config: file, problems }, 'config reload rejected: the previous policy stays in force');
      handlers.onRejected(problems);
    }
  };
  watcher.on('change', reload).on('add', reload);
  watcher.on('error', (error) => log.warn({ config: file, error: (error as Error).message }, 'config watch failed; reloads may be missed'));
  return watcher;
}
