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

/** The object without one key of its `_meta` (and without `_meta` once empty); the object itself when the key is absent. */
export function withoutMetaKey(object: JsonObject, key: string): JsonObject {
  const meta = object._meta as JsonObject | undefined;
  if (!meta || !(key in meta)) return object;
  const { [key]: _dropped, ...restMeta } = meta;
  const { _meta: _old, ...rest } = object;
  return Object.keys(restMeta).length > 0 ? { ...rest, _meta: restMeta } : rest;
}
