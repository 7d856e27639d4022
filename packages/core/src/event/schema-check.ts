import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Errors } from '@sinclair/typebox/errors';

type Checker = (value: unknown) => boolean;

function compileChecker(schema: TSchema): Checker {
  try {
    const compiled = TypeCompiler.Compile(schema);
    return (value) => compiled.Check(value);
  } catch {
    // TypeCompiler generates code with new Function(); a browser page whose
    // Content-Security-Policy lacks 'unsafe-eval' forbids that. The
    // interpreter gives the same answer, only slower.
    return (value) => Errors(schema, value).First() === undefined;
  }
}

// Compiled on first use, not at import: importing the core (say, for a
// verifier in the portal) must not generate code.
const checkers = new Map<TSchema, Checker>();

/** True when `value` matches `schema`, by TypeBox's compiled checker. */
export function matchesSchema(schema: TSchema, value: unknown): boolean {
  let checker = checkers.get(schema);
  if (checker === undefined) {
    checker = compileChecker(schema);
    checkers.set(schema, checker);
  }
  return checker(value);
}
