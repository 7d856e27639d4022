import {
  createNoteSigner,
  generateSeed,
  type CryptoProvider,
  type NoteSigner,
} from '@logproof/core';
import { ApiError } from '../errors.js';
import type { MasterKey } from '../master-key.js';
import type { OrgKeyRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

/**
 * How long a process trusts its cached current signer. Signing never depends
 * on it (the append queue re-checks the key id under the log lock); it only
 * bounds how long another process's rotation takes to show in GET /v1/orgs.
 */
const SIGNER_TTL_MS = 30_000;

/**
 * The org signing keys: Ed25519 seeds sealed under the master key at rest
 * (PROOFS.md §6), opened and cached as note signers whose key name is the
 * log's origin (PROOFS.md §5).
 */
export class OrgKeys {
  readonly #signers = new Map<string, { signer: Promise<NoteSigner>; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly masterKey: MasterKey,
    private readonly crypto: CryptoProvider,
    private readonly originPrefix: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** PROOFS.md §1: `<LOGPROOF_ORIGIN>/<org id>`. */
  originOf(orgId: string): string {
    return `${this.originPrefix}/${orgId}`;
  }

  /** A fresh key for an org: the record to store and its signer. */
  createKey(orgId: string, now: number): { record: OrgKeyRecord; signer: NoteSigner } {
    const seed = generateSeed();
    const signer = createNoteSigner(this.originOf(orgId), seed, this.crypto);
    const record: OrgKeyRecord = {
      orgId,
      keyId: signer.keyIdHex,
      publicKey: signer.publicKey,
      sealedSeed: this.masterKey.seal(seed, sealContext(orgId, signer.keyIdHex)),
      createdAt: now,
      retiredAt: null,
    };
    seed.fill(0);
    return { record, signer };
  }

  /** The signer of the org's current (newest unretired) key. */
  currentSigner(orgId: string): Promise<NoteSigner> {
    const now = this.clock();
    const cached = this.#signers.get(orgId);
    if (cached && cached.until > now) return cached.signer;
    const signer = this.#loadCurrent(orgId);
    if (this.#signers.size >= 10_000) this.#signers.clear();
    this.#signers.set(orgId, { signer, until: now + SIGNER_TTL_MS });
    signer.catch(() => {
      if (this.#signers.get(orgId)?.signer === signer) this.#signers.delete(orgId);
    });
    return signer;
  }

  /**
   * Rotates the org's signing key (PROOFS.md §6): a new Ed25519 key sealed
   * under the master key becomes current and the old one gets `retired_at`;
   * it stays listed, so everything it signed still verifies. Returns the new key.
   */
  async rotate(orgId: string): Promise<OrgKeyRecord> {
    // Another rotation may win the race between reading the current key
    // and the store's locked check; then read again.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const current = (await this.store.listOrgKeys(orgId))
        .filter((k) => k.retiredAt === null)
        .at(-1);
      if (!current) throw new Error(`org ${orgId} has no active signing key`);
      const now = this.clock();
      const { record } = this.createKey(orgId, now);
      if (await this.store.rotateOrgKey(orgId, record, current.keyId, now)) {
        this.forget(orgId);
        return record;
      }
    }
    throw new ApiError('conflict', 'the key was rotated concurrently several times; retry', {
      headers: { 'retry-after': '1' },
    });
  }

  /** Forgets cached signers, e.g. after a rotation. */
  forget(orgId: string): void {
    this.#signers.delete(orgId);
  }

  async #loadCurrent(orgId: string): Promise<NoteSigner> {
    const keys = await this.store.listOrgKeys(orgId);
    const current = keys.filter((k) => k.retiredAt === null).at(-1);
    if (!current) throw new Error(`org ${orgId} has no active signing key`);
    const seed = this.masterKey.open(current.sealedSeed, sealContext(orgId, current.keyId));
    const signer = createNoteSigner(this.originOf(orgId), seed, this.crypto);
    seed.fill(0);
    if (signer.keyIdHex !== current.keyId) {
      throw new Error(`org ${orgId}: sealed key does not match key id ${current.keyId}`);
    }
    return signer;
  }
}

function sealContext(orgId: string, keyId: string): string {
  return `logproof/org-key/v1/${orgId}/${keyId}`;
}
