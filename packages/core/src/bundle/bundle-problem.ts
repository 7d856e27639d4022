import { LogproofError } from '../errors.js';

/**
 * The `ERR_BUNDLE` error naming one thing that is wrong: `problems[0].path`
 * is a JSON Pointer (RFC 6901) into the bundle, stable for machines; the
 * message is for people.
 */
export function bundleError(path: string, message: string, cause?: unknown): LogproofError {
  return new LogproofError(
    'ERR_BUNDLE',
    `invalid evidence bundle at ${path === '' ? '(root)' : path}: ${message}`,
    cause === undefined
      ? { problems: [{ path, message }] }
      : { problems: [{ path, message }], cause },
  );
}

/** RFC 6901 §3: `~` is written `~0` and `/` is written `~1`. */
export function pointerSegment(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * A short, safe rendering of an attacker-supplied string for a message:
 * JSON-quoted (so control characters cannot forge output lines), cut to 80
 * characters, lone surrogates replaced.
 */
export function quote(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(shown.toWellFormed());
}
