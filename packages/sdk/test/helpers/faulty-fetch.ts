// Mocks only the network edge: a fetch that fails on cue, in front of the real
// server. Everything that is not a planned fault goes through for real.

/** What the next request meets. */
export type Fault =
  /** Sent to the server as it is. */
  | 'pass'
  /** Never leaves the client: the connection fails. */
  | 'network'
  /** Reaches the server, which processes it, but the answer is lost on the way back. */
  | 'lose-answer'
  /** Held back until the client gives up waiting. */
  | 'hang'
  /** Answered by a proxy or an overloaded server with this status. */
  | { status: number; retryAfter?: string; code?: string; body?: string };

export interface SeenRequest {
  method: string;
  url: string;
  idempotencyKey: string | null;
  authorization: string | null;
  body: unknown;
  at: number;
}

export interface FaultyFetch {
  fetch: typeof fetch;
  /** Every request the client made, faults included, in order. */
  seen: SeenRequest[];
  /** Queues faults for the next requests; later requests pass. */
  plan(...faults: Fault[]): void;
}

export function faultyFetch(filter: (url: string) => boolean = () => true): FaultyFetch {
  const seen: SeenRequest[] = [];
  const queue: Fault[] = [];
  const fetchImpl = async (
    input: string | URL | Request,
    init: RequestInit = {},
  ): Promise<Response> => {
    const url = String(input);
    const headers = new Headers(init.headers);
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    seen.push({
      method: init.method ?? 'GET',
      url,
      idempotencyKey: headers.get('idempotency-key'),
      authorization: headers.get('authorization'),
      body,
      at: Date.now(),
    });
    const fault = filter(url) ? (queue.shift() ?? 'pass') : 'pass';
    if (fault === 'pass') return fetch(input, init);
    if (fault === 'network') {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      });
    }
    if (fault === 'lose-answer') {
      const response = await fetch(input, init);
      await response.arrayBuffer();
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      });
    }
    if (fault === 'hang') {
      return new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true });
      });
    }
    const problem =
      fault.body ??
      JSON.stringify({
        type: 'about:blank',
        title: 'Injected failure',
        status: fault.status,
        detail: 'injected by the test',
        code: fault.code ?? (fault.status === 429 ? 'rate_limited' : 'unavailable'),
        errors: [],
      });
    return new Response(problem, {
      status: fault.status,
      headers: {
        'content-type': fault.body === undefined ? 'application/problem+json' : 'text/html',
        'x-request-id': 'req-injected',
        ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}),
      },
    });
  };
  return { fetch: fetchImpl as typeof fetch, seen, plan: (...faults) => queue.push(...faults) };
}
