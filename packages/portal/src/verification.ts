// In-browser verification (API.md "Verification", contract "In-browser
// verification"): the server's verify answer only supplies the material
// (event, proof, checkpoint); every check is repeated here with WebCrypto
// through the SDK, against keys the user trusts. The server's own `valid`
// and `checks` are never looked at.
import { verifyEventProofWebCrypto } from '@logproof/sdk/verify';
import type { PortalApi } from './api-client.js';
import type { PublishedKey, StoredEvent, VerifyAnswer } from './types.js';

/** The checks shown, in the order they build on each other. */
export const CHECKS = [
  ['canonical', 'Canonical JSON', 'The event is exactly its canonical bytes (RFC 8785).'],
  ['leaf_hash', 'Leaf hash', 'SHA-256(0x00 ‖ canonical bytes) equals the stored leaf hash.'],
  ['chain_link', 'Chain link', 'SHA-256(previous hash ‖ leaf hash) equals the stored hash.'],
  ['signature', 'Signature', 'Ed25519 signature by a trusted key of this org.'],
  [
    'checkpoint',
    'Checkpoint',
    "The latest tree head is signed by a trusted key of this org's log.",
  ],
  ['inclusion', 'Inclusion', 'The Merkle audit path leads from the event to the signed root.'],
] as const;

export type CheckName = (typeof CHECKS)[number][0];

/** Where the keys checked against came from. */
export type KeySource = 'pinned' | 'server';

export interface EventVerdict {
  eventId: string;
  valid: boolean;
  checks: Record<CheckName, boolean>;
  problems: { check: string; detail: string }[];
  engine: string;
  keySource: KeySource;
  treeSize: number | null;
  rootHash: string | null;
}

/** The keys to trust: the pinned one (out of band) when given, else every key the server publishes. */
export function trustedKeys(pinned: string, published: readonly PublishedKey[]): string[] {
  const key = pinned.trim();
  return key ? [key] : published.map((k) => k.verifier_key);
}

export async function verifyInBrowser(
  api: PortalApi,
  eventId: string,
  keys: readonly string[],
  keySource: KeySource,
): Promise<EventVerdict> {
  const path = `/events/${encodeURIComponent(eventId)}`;
  const [answer, canonical] = await Promise.all([
    api.get<VerifyAnswer>(`${path}/verify`),
    api.getBytes(`${path}/canonical`),
  ]);
  // The contract's answer carries the event; older servers' did not.
  const event = answer.event ?? (await api.get<StoredEvent>(path));
  let result;
  try {
    result = await verifyEventProofWebCrypto(
      { ...answer, event },
      { verifierKeys: keys, canonical },
    );
  } catch (error) {
    // A malformed pinned key is the user's input, not the log's fault.
    if ((error as { code?: unknown }).code === 'ERR_VERIFIER_KEY') {
      throw new Error(`The verifier key is not usable: ${(error as Error).message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const checks = Object.fromEntries(
    CHECKS.map(([name]) => [name, Boolean(result.checks[name])]),
  ) as Record<CheckName, boolean>;
  return {
    eventId,
    valid: result.valid,
    checks,
    problems: result.problems,
    engine: result.engine,
    keySource,
    treeSize: result.checkpoint?.tree_size ?? null,
    rootHash: result.checkpoint?.root_hash ?? null,
  };
}
