// GET /v1/widget/events (contract "Widget API"). Everything the server sends
// is parsed here into typed values; the event itself stays `unknown` because
// the verifier is what decides whether it is a well-formed stored event.
import type { WidgetConfig } from './widget-config.js';
import { WidgetError } from './widget-error.js';

export interface InclusionProof {
  leaf_index: number;
  tree_size: number;
  hashes: string[];
}

/** One row of the answer: an event and its proof against the page's checkpoint. */
export interface WidgetItem {
  /** Untrusted: displayed as text, and checked by the verifier. */
  readonly event: unknown;
  /** `event.id` when it is a string, else null. */
  readonly eventId: string | null;
  readonly inclusionProof: InclusionProof;
}

export interface PublishedKey {
  key_id: string;
  verifier_key: string;
}

/** One page: its events (newest first), the checkpoint they are proven in, the keys, the cursor. */
export interface WidgetPage {
  readonly items: readonly WidgetItem[];
  readonly checkpoint: string;
  readonly keys: readonly PublishedKey[];
  readonly nextCursor: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function invalid(why: string): WidgetError {
  return new WidgetError('response_invalid', `The server's answer is not a widget page: ${why}.`);
}

function parseProof(value: unknown, index: number): InclusionProof {
  if (
    !isRecord(value) ||
    !Number.isSafeInteger(value.leaf_index) ||
    !Number.isSafeInteger(value.tree_size) ||
    !Array.isArray(value.hashes) ||
    !value.hashes.every((h) => typeof h === 'string')
  ) {
    throw invalid(`data[${index}].inclusion_proof is malformed`);
  }
  return {
    leaf_index: value.leaf_index as number,
    tree_size: value.tree_size as number,
    hashes: value.hashes as string[],
  };
}

/** Parses the JSON body of a 200 answer; throws `response_invalid` on anything else. */
export function parseWidgetPage(body: unknown): WidgetPage {
  if (!isRecord(body)) throw invalid('not a JSON object');
  const { data, checkpoint, keys, next_cursor: nextCursor } = body;
  if (!Array.isArray(data)) throw invalid('data is not a list');
  if (typeof checkpoint !== 'string') throw invalid('checkpoint is not a string');
  if (!Array.isArray(keys)) throw invalid('keys is not a list');
  if (nextCursor !== null && typeof nextCursor !== 'string') {
    throw invalid('next_cursor is neither a string nor null');
  }
  const items = data.map((item: unknown, i): WidgetItem => {
    if (!isRecord(item) || !isRecord(item.event)) throw invalid(`data[${i}].event is missing`);
    const id = item.event.id;
    return {
      event: item.event,
      eventId: typeof id === 'string' ? id : null,
      inclusionProof: parseProof(item.inclusion_proof, i),
    };
  });
  const published = keys.map((k: unknown, i): PublishedKey => {
    if (!isRecord(k) || typeof k.key_id !== 'string' || typeof k.verifier_key !== 'string') {
      throw invalid(`keys[${i}] is malformed`);
    }
    return { key_id: k.key_id, verifier_key: k.verifier_key };
  });
  return { items, checkpoint, keys: published, nextCursor };
}

/**
 * Turns an error answer into a sentence: an RFC 9457 problem's `detail`
 * (or `title`) when the body is one, else the HTTP status alone. The text
 * is shown with textContent only, so a hostile server cannot inject markup.
 */
export function problemFromResponse(
  status: number,
  contentType: string,
  text: string,
): WidgetError {
  let title: string | null = null;
  let detail: string | null = null;
  let code: string | null = null;
  if (/^application\/(problem\+)?json\b/i.test(contentType)) {
    try {
      const body: unknown = JSON.parse(text);
      if (isRecord(body)) {
        if (typeof body.title === 'string') title = body.title;
        if (typeof body.detail === 'string') detail = body.detail;
        if (typeof body.code === 'string') code = body.code;
      }
    } catch {
      // Not JSON after all: the status alone is reported.
    }
  }
  const what = status === 401 ? 'The embed token was refused' : `The server answered ${status}`;
  const why = detail ?? title;
  const message = why === null ? `${what}.` : `${what}: ${clip(why)}`;
  return new WidgetError('server_problem', message, { status, problemCode: code });
}

function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Fetches one page; `cursor` is the previous page's next_cursor. */
export async function fetchWidgetPage(
  config: WidgetConfig,
  cursor: string | null,
  signal: AbortSignal,
): Promise<WidgetPage> {
  const url = new URL(config.eventsUrl);
  url.searchParams.set('limit', String(config.limit));
  if (cursor !== null) url.searchParams.set('cursor', cursor);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${config.token}`, accept: 'application/json' },
      // A bearer token, never cookies: the widget runs on someone else's page.
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
      signal,
    });
  } catch (cause) {
    if (signal.aborted) throw cause;
    throw new WidgetError('network_failed', `Could not reach ${url.origin}.`, { cause });
  }
  const text = await response.text();
  if (!response.ok) {
    throw problemFromResponse(response.status, response.headers.get('content-type') ?? '', text);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    throw new WidgetError('response_invalid', "The server's answer is not JSON.", { cause });
  }
  return parseWidgetPage(body);
}
