/** Bastion's name and version, as announced to clients and upstream servers. */
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const BASTION_NAME = 'bastion';
export const BASTION_VERSION: string = manifest.version;
