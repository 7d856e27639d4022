import { Type } from '@sinclair/typebox';

/** RFC 9457 problem document, as every error is written. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URN naming the problem type: urn:logproof:problem:<code>' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'Stable machine-readable code' }),
    errors: Type.Array(
      Type.Object({
        path: Type.String({ description: 'JSON Pointer into the request body (or query)' }),
        message: Type.String(),
      }),
    ),
    request_id: Type.String(),
  },
  { $id: undefined, description: 'RFC 9457 problem details (application/problem+json)' },
);

/** The problem responses every authenticated endpoint may give. */
export function problemResponses(...statuses: number[]): Record<number, typeof ProblemSchema> {
  const out: Record<number, typeof ProblemSchema> = {};
  for (const s of [400, 401, 403, 429, ...statuses]) out[s] = ProblemSchema;
  return out;
}

export const IdempotencyKeyHeader = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'Makes retries safe: see the API description',
    }),
  ),
});
