// A small typed client for the portal session API. The session is an
// HttpOnly cookie the browser sends by itself (same origin); every non-GET
// also carries X-CSRF-Token (contract "Portal session API"). Errors arrive
// as RFC 9457 problems and leave here as PortalApiError with readable text.

export interface ProblemItem {
  path: string;
  message: string;
}

/** A failed call: HTTP status, the problem's stable `code` and a sentence for people. */
export class PortalApiError extends Error {
  override readonly name = 'PortalApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: readonly ProblemItem[] = [],
  ) {
    super(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads an RFC 9457 body defensively: anything the server (or a proxy) sent may be malformed. */
async function toError(res: Response): Promise<PortalApiError> {
  let body: unknown = null;
  try {
    body = JSON.parse(await res.text());
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): the status line is all there is.
  }
  if (!isRecord(body)) {
    return new PortalApiError(res.status, 'http_error', `${res.status} ${res.statusText}`.trim());
  }
  const errors = Array.isArray(body.errors)
    ? body.errors
        .filter(isRecord)
        .map((e) => ({ path: String(e.path ?? ''), message: String(e.message ?? '') }))
    : [];
  const detail = typeof body.detail === 'string' && body.detail ? body.detail : null;
  const title = typeof body.title === 'string' && body.title ? body.title : res.statusText;
  const items = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
  const message = [detail ?? title, ...items.filter((i) => i && i !== detail)].join('; ');
  const code = typeof body.code === 'string' ? body.code : 'http_error';
  return new PortalApiError(res.status, code, message || `HTTP ${res.status}`, errors);
}

/** The text a person should read for any failure. */
export function describeError(error: unknown): string {
  // Problem details are written as sentence fragments ("this portal link has...").
  if (error instanceof PortalApiError)
    return error.message.charAt(0).toUpperCase() + error.message.slice(1);
  if (error instanceof TypeError) return 'The server could not be reached. Check your connection.';
  if (error instanceof Error) return error.message;
  return String(error);
}

export type Query = Record<string, string | number | undefined>;

export function toQueryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== '') params.set(k, String(v));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export class PortalApi {
  private csrfToken: string | null = null;

  constructor(private readonly base = '/v1/portal') {}

  /** The session's CSRF token, from GET /v1/portal/session; needed by every non-GET. */
  setCsrfToken(token: string | null): void {
    this.csrfToken = token;
  }

  url(path: string, query: Query = {}): string {
    return `${this.base}${path}${toQueryString(query)}`;
  }

  private async send(method: string, path: string, body?: unknown, query?: Query) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    const res = await fetch(this.url(path, query), {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw await toError(res);
    return res;
  }

  async get<T>(path: string, query?: Query): Promise<T> {
    return (await (await this.send('GET', path, undefined, query)).json()) as T;
  }

  async getBytes(path: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.send('GET', path)).arrayBuffer());
  }

  async post<T>(path: string, body?: unknown): Promise<T> {
    return (await (await this.send('POST', path, body)).json()) as T;
  }

  async patch<T>(path: string, body: unknown): Promise<T> {
    return (await (await this.send('PATCH', path, body)).json()) as T;
  }

  async delete(path: string): Promise<void> {
    await this.send('DELETE', path);
  }
}

/** `POST /v1/portal/sessions`: trades a link's token for the session cookie. */
export async function openSession<T>(token: string): Promise<T> {
  const res = await fetch('/v1/portal/sessions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    credentials: 'same-origin',
    cache: 'no-store',
    body: JSON.stringify({ token }),
  });
  if (!res.ok) throw await toError(res);
  return (await res.json()) as T;
}
