// The verification status of one row, computed in this browser: the server's
// word is never taken. Keys are the page's published ones, or only the pinned
// `verifier-key` when the embedding page set one (then an event or checkpoint
// signed by any other key fails).
import { verifyEventProofWebCrypto } from '@logproof/sdk/verify';
import type { WidgetItem, WidgetPage } from './widget-api.js';

export type VerificationStatus =
  | { readonly state: 'checking' }
  | { readonly state: 'verified'; readonly engine: string }
  | { readonly state: 'failed'; readonly check: string; readonly detail: string };

/** The checks in the order the verifier runs them: the first false one names a failure. */
const CHECK_ORDER = [
  'canonical',
  'leaf_hash',
  'chain_link',
  'signature',
  'checkpoint',
  'inclusion',
];

/** Which keys to trust for a page: the pinned key alone, else every key the answer published. */
function trustedKeysFor(page: WidgetPage, pinnedKey: string | null): string[] {
  return pinnedKey !== null ? [pinnedKey] : page.keys.map((k) => k.verifier_key);
}

export async function verifyItem(
  item: WidgetItem,
  page: WidgetPage,
  pinnedKey: string | null,
): Promise<VerificationStatus> {
  const verifierKeys = trustedKeysFor(page, pinnedKey);
  if (verifierKeys.length === 0) {
    return { state: 'failed', check: 'keys', detail: 'the server published no verifier key' };
  }
  try {
    const result = await verifyEventProofWebCrypto(
      {
        event_id: item.eventId ?? '',
        checkpoint: page.checkpoint,
        inclusion_proof: item.inclusionProof,
        event: item.event,
      },
      { verifierKeys },
    );
    if (result.valid) return { state: 'verified', engine: result.engine };
    const first = result.problems[0];
    const checks: Record<string, boolean> = { ...result.checks };
    const check = first?.check ?? CHECK_ORDER.find((c) => checks[c] === false) ?? 'unknown';
    return { state: 'failed', check, detail: first?.detail ?? `the ${check} check failed` };
  } catch (error) {
    // The verifier throws only for malformed trust material (a bad verifier-key
    // attribute or published key); a bad event is a result, not an exception.
    const detail = error instanceof Error ? error.message : String(error);
    return { state: 'failed', check: pinnedKey !== null ? 'verifier-key' : 'keys', detail };
  }
}
