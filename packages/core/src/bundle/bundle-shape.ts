import { hexToBytes } from '../encoding.js';
import { BUNDLE_FORMAT, BUNDLE_LIMITS } from './bundle-format.js';
import { bundleError, pointerSegment, quote } from './bundle-problem.js';

// The edge: a hostile JSON value becomes typed data or ERR_BUNDLE naming the
// first bad member. Only the container shape and the hex proofs are checked
// here; event content is checked by the event schema (entryFromEvent), key
// and note text by their own parsers, all in verify-bundle.ts.

/** One event of a shape-checked bundle; `event` is still unchecked content. */
export interface ShapedEvent {
  event: Record<string, unknown>;
  inclusionProof?: Uint8Array[];
}

/** A bundle whose shape is right; nothing in it is authenticated yet. */
export interface ShapedBundle {
  origin: string;
  org: string;
  verifierKeys: string[];
  checkpoint: string;
  events: ShapedEvent[];
  rangeProof?: { start: number; left: Uint8Array[]; right: Uint8Array[] };
}

const BUNDLE_MEMBERS = [
  'format',
  'origin',
  'org',
  'verifier_keys',
  'checkpoint',
  'events',
  'range_proof',
] as const;
const EVENT_MEMBERS = ['event', 'inclusion_proof'] as const;
const RANGE_MEMBERS = ['start', 'left', 'right'] as const;
const HASH_HEX = /^[0-9a-f]{64}$/;

/** A plain JSON object (JSON.parse makes nothing else), read through own members only. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function member(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function expectObject(
  value: unknown,
  path: string,
  allowed: readonly string[],
): Record<string, unknown> {
  if (!isPlainObject(value))
    throw bundleError(path, `must be a JSON object (got ${typeName(value)})`);
  // Unknown members are refused: they would travel with the evidence unchecked.
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw bundleError(
        `${path}/${pointerSegment(key)}`,
        `unknown member ${quote(key)}; allowed members here: ${allowed.join(', ')}`,
      );
    }
  }
  return value;
}

function expectString(value: unknown, path: string, maxLength: number): string {
  if (typeof value !== 'string')
    throw bundleError(path, `must be a string (got ${typeName(value)})`);
  if (value.length === 0) throw bundleError(path, 'must not be empty');
  if (value.length > maxLength) {
    throw bundleError(path, `must be at most ${maxLength} characters (got ${value.length})`);
  }
  return value;
}

function expectArray(value: unknown, path: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value)) throw bundleError(path, `must be an array (got ${typeName(value)})`);
  if (value.length < min)
    throw bundleError(path, `must hold at least ${min} item${min === 1 ? '' : 's'}`);
  if (value.length > max)
    throw bundleError(path, `must hold at most ${max} items (got ${value.length})`);
  return value;
}

function expectHashes(value: unknown, path: string): Uint8Array[] {
  const list = expectArray(value, path, 0, BUNDLE_LIMITS.maxProofHashes);
  return list.map((item, i) => {
    if (typeof item !== 'string' || !HASH_HEX.test(item)) {
      throw bundleError(`${path}/${i}`, 'must be a hash: 64 lowercase hex digits');
    }
    return hexToBytes(item);
  });
}

function shapeEvents(value: unknown, hasRangeProof: boolean): ShapedEvent[] {
  const list = expectArray(value, '/events', 1, BUNDLE_LIMITS.maxEvents);
  return list.map((item, i) => {
    const path = `/events/${i}`;
    const object = expectObject(item, path, EVENT_MEMBERS);
    const event = member(object, 'event');
    if (!isPlainObject(event)) {
      throw bundleError(`${path}/event`, `must be a JSON object (got ${typeName(event)})`);
    }
    const proof = member(object, 'inclusion_proof');
    // PROOFS.md §7: one form per bundle. Mixing them would leave it unclear
    // which proof a verifier relied on.
    if (hasRangeProof) {
      if (proof !== undefined) {
        throw bundleError(
          `${path}/inclusion_proof`,
          'must be absent: this bundle proves inclusion with range_proof',
        );
      }
      return { event };
    }
    if (proof === undefined) {
      throw bundleError(`${path}/inclusion_proof`, 'is required: this bundle has no range_proof');
    }
    return { event, inclusionProof: expectHashes(proof, `${path}/inclusion_proof`) };
  });
}

function shapeRangeProof(value: unknown): ShapedBundle['rangeProof'] {
  const object = expectObject(value, '/range_proof', RANGE_MEMBERS);
  const start = member(object, 'start');
  if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) {
    throw bundleError('/range_proof/start', 'must be a non-negative integer (a chain_index)');
  }
  return {
    start,
    left: expectHashes(member(object, 'left'), '/range_proof/left'),
    right: expectHashes(member(object, 'right'), '/range_proof/right'),
  };
}

/**
 * Checks the shape of a hostile bundle value, member by member in document
 * order, and returns it typed. Throws `ERR_BUNDLE` naming the first bad member.
 */
export function shapeBundle(value: unknown): ShapedBundle {
  const object = expectObject(value, '', BUNDLE_MEMBERS);
  const format = member(object, 'format');
  if (format !== BUNDLE_FORMAT) {
    throw bundleError('/format', `must be ${JSON.stringify(BUNDLE_FORMAT)}`);
  }
  const origin = expectString(member(object, 'origin'), '/origin', BUNDLE_LIMITS.maxOriginLength);
  const org = expectString(member(object, 'org'), '/org', BUNDLE_LIMITS.maxOrgLength);
  const keys = expectArray(
    member(object, 'verifier_keys'),
    '/verifier_keys',
    1,
    BUNDLE_LIMITS.maxVerifierKeys,
  );
  const verifierKeys = keys.map((key, i) =>
    expectString(key, `/verifier_keys/${i}`, BUNDLE_LIMITS.maxOriginLength * 2),
  );
  const checkpoint = expectString(
    member(object, 'checkpoint'),
    '/checkpoint',
    BUNDLE_LIMITS.maxCheckpointLength,
  );
  const rawRange = member(object, 'range_proof');
  const events = shapeEvents(member(object, 'events'), rawRange !== undefined);
  const shaped: ShapedBundle = { origin, org, verifierKeys, checkpoint, events };
  if (rawRange !== undefined) shaped.rangeProof = shapeRangeProof(rawRange);
  return shaped;
}
