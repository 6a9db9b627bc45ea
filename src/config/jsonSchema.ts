/** The JSON Schema of the config file, generated from the one zod schema, for editors to complete and check. */
import { z } from 'zod';
import { ConfigSchema } from './schema.js';

export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ConfigSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }),
    title: 'Bastion configuration',
  };
}
