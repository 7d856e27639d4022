import { WidgetError } from './widget-error.js';

/** What the element's attributes say, parsed once per load. */
export interface WidgetConfig {
  readonly token: string;
  /** `GET {base}/v1/widget/events`, without query. */
  readonly eventsUrl: string;
  /** 1..100, 25 when absent or not a number in range. */
  readonly limit: number;
  /** The `verifier-key` attribute: the only key trusted when set. */
  readonly pinnedKey: string | null;
}

export const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;

export interface WidgetAttributes {
  token: string | null;
  baseUrl: string | null;
  limit: string | null;
  verifierKey: string | null;
}

function parseLimit(text: string | null): number {
  if (text === null || !/^\s*\d{1,3}\s*$/.test(text)) return DEFAULT_LIMIT;
  const n = Number(text);
  return n >= 1 && n <= MAX_LIMIT ? n : DEFAULT_LIMIT;
}

/**
 * Reads the attributes into a config, or throws `config_invalid` saying which
 * attribute is wrong. The base URL must be http(s): the token is sent to it.
 */
export function readWidgetConfig(attrs: WidgetAttributes): WidgetConfig {
  const token = attrs.token?.trim() ?? '';
  if (token === '') {
    throw new WidgetError('config_invalid', 'The token attribute is missing: set an embed token.');
  }
  const base = attrs.baseUrl?.trim() ?? '';
  let url: URL;
  try {
    url = new URL(base);
  } catch (cause) {
    throw new WidgetError(
      'config_invalid',
      base === ''
        ? 'The base-url attribute is missing: set the Logproof server address.'
        : `The base-url attribute is not an absolute URL: ${base}`,
      { cause },
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new WidgetError('config_invalid', `The base-url attribute must be an http(s) URL.`);
  }
  // A base with a path (a server behind a prefix) keeps it; query and fragment do not belong.
  const path = url.pathname.replace(/\/+$/, '');
  const pinned = attrs.verifierKey?.trim() ?? '';
  return {
    token,
    eventsUrl: `${url.origin}${path}/v1/widget/events`,
    limit: parseLimit(attrs.limit),
    pinnedKey: pinned === '' ? null : pinned,
  };
}
