import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ZodObject, ZodRawShape } from 'zod';
import { wsErrorCodes } from './error-codes.js';
import { clientMessage } from './protocol.js';

interface Def {
  properties?: Record<string, unknown>;
  required?: string[];
  additionalProperties?: boolean;
  oneOf?: { $ref: string }[];
}
const doc = JSON.parse(readFileSync(new URL('../../ws-protocol.json', import.meta.url), 'utf8')) as {
  $defs: Record<string, Def>;
};
const defs = doc.$defs;
const options = clientMessage.options as unknown as ZodObject<ZodRawShape>[];
const typeOf = (o: ZodObject<ZodRawShape>) => (o.shape['type'] as unknown as { value: string }).value;

/** gateway/ws-protocol.json is what clients read: it must say what the zod schemas accept. */
describe('ws-protocol.json', () => {
  it('lists exactly the client messages the gateway parses', () => {
    const listed = (defs['clientMessage']?.oneOf ?? []).map((r) => r.$ref.replace('#/$defs/', ''));
    expect(listed.sort()).toEqual(options.map(typeOf).sort());
  });

  it("documents each client message's fields, which are required, and whether others are refused", () => {
    for (const o of options) {
      const type = typeOf(o);
      const def = defs[type];
      expect(def, type).toBeDefined();
      expect(Object.keys(def?.properties ?? {}).sort(), type).toEqual(Object.keys(o.shape).sort());
      const required = Object.entries(o.shape)
        .filter(([, s]) => !s.isOptional())
        .map(([k]) => k);
      expect([...(def?.required ?? [])].sort(), type).toEqual(required.sort());
      const strict = (o._def as { unknownKeys: string }).unknownKeys === 'strict';
      expect(def?.additionalProperties === false, type).toBe(strict);
    }
  });

  it('documents the per-test message of graded submissions among the server messages', () => {
    const listed = (defs['serverMessage']?.oneOf ?? []).map((r) => r.$ref.replace('#/$defs/', ''));
    expect(listed).toContain('test');
    expect(defs['test']?.required?.sort()).toEqual(['executionId', 'index', 'seq', 'test', 'type']);
  });

  it("names every error code of the gateway's own", () => {
    const described = JSON.stringify(defs['error']);
    for (const code of wsErrorCodes) expect(described, code).toContain(`\`${code}\``);
  });
});
