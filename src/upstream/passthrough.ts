/**
 * A result "schema" that accepts any object unchanged. Bastion forwards what upstream servers
 * return without reshaping it: the SDK's own schemas would strip keys they do not know yet
 * (new fields, vendor extensions), and a gateway must pass content untouched.
 */
import type { StandardSchemaV1 } from '@modelcontextprotocol/client';

export type JsonObject = Record<string, unknown>;

export const passthroughResult: StandardSchemaV1<unknown, JsonObject> = {
  '~standard': {
    version: 1,
    vendor: 'bastion',
    validate: (value) =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? { value: value as JsonObject }
        : { issues: [{ message: 'expected a JSON object as result' }] },
  },
};
