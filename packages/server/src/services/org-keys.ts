import { createNoteSigner, generateSeed, type CryptoProvider, type NoteSigner } from '@logproof/core';
import type { MasterKey } from '../master-key.js';
import type { OrgKeyRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

/**
 * The org signing keys: Ed25519 seeds sealed under the master key at rest
 * (PROOFS.md §6), opened once per process and cached as note signers whose
 * key name is the log's origin (PROOFS.md §5).
 */
export class OrgKeys {
  readonly #signers = new Map<string, Promise<NoteSigner>>();

  constructor(
    private readonly store: Store,
    private readonly masterKey: MasterKey,
    private readonly crypto: CryptoProvider,
    private readonly originPrefix: string,
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
    let signer = this.#signers.get(orgId);
    if (!signer) {
      signer = this.#loadCurrent(orgId);
      this.#signers.set(orgId, signer);
      signer.catch(() => this.#signers.delete(orgId));
    }
    return signer;
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
