import { describe, expect, it } from 'vitest';
import {
  ActorSchema,
  BatchInputSchema,
  BatchItemSchema,
  ContextSchema,
  EventEntrySchema,
  EventInputSchema,
  MetadataSchema,
  StoredActorSchema,
  StoredEventSchema,
  TargetSchema,
  validateBatchInput,
  validateEventInput,
} from '../src/index.js';
import { OPTIONS } from './event-fixtures.js';

const SCHEMAS = {
  ActorSchema,
  StoredActorSchema,
  TargetSchema,
  MetadataSchema,
  ContextSchema,
  EventInputSchema,
  BatchItemSchema,
  BatchInputSchema,
  EventEntrySchema,
  StoredEventSchema,
};

/** Every subschema of a JSON Schema document, with its JSON Pointer. */
function* walk(node: unknown, path = ''): Generator<[string, Record<string, any>]> {
  if (typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) yield* walk(item, `${path}/${i}`);
    return;
  }
  const schema = node as Record<string, any>;
  yield [path, schema];
  for (const key of ['properties', 'patternProperties']) {
    for (const [name, child] of Object.entries(schema[key] ?? {}))
      yield* walk(child, `${path}/${key}/${name}`);
  }
  if (schema.items) yield* walk(schema.items, `${path}/items`);
  if (schema.anyOf) yield* walk(schema.anyOf, `${path}/anyOf`);
}

describe('event schemas', () => {
  it.each(Object.entries(SCHEMAS))(
    '%s is plain JSON Schema that survives JSON.stringify',
    (_name, schema) => {
      const published = JSON.parse(JSON.stringify(schema));
      expect(published.type).toBe('object');
      expect(published.title).toEqual(expect.any(String));
    },
  );

  it.each(Object.entries(SCHEMAS))(
    '%s refuses additional properties on every object',
    (_name, schema) => {
      for (const [path, node] of walk(JSON.parse(JSON.stringify(schema)))) {
        if (node.type === 'object') expect(node.additionalProperties, path).toBe(false);
      }
    },
  );

  it.each(Object.entries(SCHEMAS))(
    '%s has patterns that also compile under the Unicode flag (as Ajv uses them)',
    (_name, schema) => {
      for (const [path, node] of walk(JSON.parse(JSON.stringify(schema)))) {
        const patterns = [node.pattern, ...Object.keys(node.patternProperties ?? {})].filter(
          Boolean,
        );
        for (const pattern of patterns) expect(() => new RegExp(pattern, 'u'), path).not.toThrow();
      }
    },
  );

  it('describes every member of the event input', () => {
    const published = JSON.parse(JSON.stringify(EventInputSchema));
    for (const [name, member] of Object.entries<Record<string, any>>(published.properties)) {
      const description = member.description ?? member.anyOf?.[0]?.description;
      expect(description ?? member.title, name).toEqual(expect.any(String));
    }
  });

  it('states that target and targets exclude each other', () => {
    expect(JSON.parse(JSON.stringify(EventInputSchema)).not).toEqual({
      required: ['target', 'targets'],
    });
  });

  it('has examples that the validator accepts', () => {
    for (const example of EventInputSchema.examples as unknown[]) {
      expect(validateEventInput(example, OPTIONS).ok).toBe(true);
    }
    for (const example of BatchInputSchema.examples as unknown[]) {
      expect(validateBatchInput(example, OPTIONS).ok).toBe(true);
    }
  });

  it('publishes the defaults the validator fills in', () => {
    const published = JSON.parse(JSON.stringify(EventInputSchema));
    expect(published.properties.entry_type.default).toBe('business');
    expect(published.properties.outcome.default).toBe('success');
    expect(published.properties.actor.properties.type.default).toBe('user');
  });
});
