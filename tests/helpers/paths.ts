/** Paths the tests use, resolved from the compiled test file's location (dist/tests/helpers). */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BASTION_BIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
export const FIXTURE_BIN = join(REPO_ROOT, 'dist', 'tests', 'fixture', 'main.js');
export const BIN = (name: string) => join(REPO_ROOT, 'node_modules', '.bin', name);
export const HOSTILE_BIN = join(REPO_ROOT, 'dist', 'tests', 'fixture', 'hostile.js');
