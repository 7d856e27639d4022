import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { ApiError } from '../errors.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** A body validator that also normalises: what it returns becomes request.body. */
export type BodyValidator = (data: unknown) => { value: unknown } | { error: ApiError };

/**
 * The app's one schema compiler. Params, query strings and headers go through
 * Ajv with strict settings (unknown query parameters are a 400, never silently
 * dropped). Bodies of routes registered in `bodyValidators` are checked by the
 * integrity core's validator, which knows what JSON Schema cannot say (RFC
 * 3339 windows, well-formed Unicode, canonical IPs) and fills defaults; their
 * TypeBox schema still documents the body in the OpenAPI document.
 */
export function createSchemaCompiler(
  bodyValidators: ReadonlyMap<string, BodyValidator>,
): FastifySchemaCompiler<unknown> {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: 'array',
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  });
  addFormats(ajv);
  const cache = new WeakMap<object, ValidateFunction>();
  return ({ schema, method, url, httpPart }) => {
    if (httpPart === 'body') {
      const custom = bodyValidators.get(`${method} ${url}`);
      if (custom) return custom;
    }
    let validate = cache.get(schema as object);
    if (!validate) {
      validate = ajv.compile(schema as object);
      cache.set(schema as object, validate);
    }
    const fn = validate;
    return (data: unknown) => {
      if (fn(data)) return { value: data };
      const part = httpPart === 'querystring' ? 'query parameter' : (httpPart ?? 'request');
      return {
        error: new ApiError('validation_failed', `invalid ${part}`, {
          errors: (fn.errors ?? []).slice(0, 100).map((e) => ({
            path:
              e.keyword === 'additionalProperties'
                ? `${e.instancePath}/${String((e.params as { additionalProperty?: string }).additionalProperty)}`
                : e.instancePath || '/',
            message:
              e.keyword === 'additionalProperties'
                ? `unknown ${part}`
                : (e.message ?? 'is invalid'),
          })),
        }),
      };
    };
  };
}
