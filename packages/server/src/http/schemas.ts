import { Type, type TSchema } from '@sinclair/typebox';

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

/** Query of the id-ordered list endpoints (orgs, webhooks): a page size and the previous page's cursor. */
export const PageQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(
      Type.String({ maxLength: 64, description: 'next_cursor of the previous page' }),
    ),
  },
  { additionalProperties: false },
);

/** The response of an id-ordered list endpoint. */
export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item),
    next_cursor: Type.Union([Type.String(), Type.Null()]),
  });
}

/**
 * Cuts `rows` (fetched with limit + 1) to one page; the cursor is the last
 * id shown when another page follows.
 */
export function toPage<R extends { id: string }>(
  rows: readonly R[],
  limit: number,
): { rows: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: rows.length > limit ? page.at(-1)!.id : null };
}
