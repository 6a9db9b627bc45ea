/** Writes schema/bastion.schema.json from the config schema. Run `npm run schema` after changing it. */
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/jsonSchema.js';

const target = new URL('../../schema/bastion.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
