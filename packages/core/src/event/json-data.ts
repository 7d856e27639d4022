// Small guards for reading attacker-controlled values that should be JSON data.
// Reads go through own properties only, so a polluted Object.prototype (or a
// crafted prototype chain) can never supply a member the sender did not send.

/** True for an object that is not an array (what JSON calls an object, loosely). */
export function isObjectLike(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True for a plain object: its prototype is Object.prototype or null, as for
 * everything JSON.parse makes. Dates, Maps, class instances and objects with
 * crafted prototypes are not JSON data.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObjectLike(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The own member `key` of `object`, or undefined; never an inherited one. */
export function ownMember(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** RFC 6901 §3: `~` is written `~0` and `/` is written `~1`. */
export function escapePointerSegment(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** RFC 6901 §4: `~1` is `/` and `~0` is `~`, decoded in that order. */
export function unescapePointerSegment(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}
