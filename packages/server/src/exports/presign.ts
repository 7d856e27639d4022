import { createHmac, timingSafeEqual } from 'node:crypto';

// Presigned download links (API.md "Exports"): the URL carries an expiry and
// an HMAC-SHA256 over the export id and that expiry, under a key derived
// from the master key for this use alone (HKDF label below). Anyone holding
// the link may download until it expires; changing the id, the expiry or
// the signature makes it worthless. The server keeps no state per link.

/** The HKDF label (info) of the link-signing key: no other key derives from the same. */
export const DOWNLOAD_KEY_LABEL = 'logproof/export-download-url/v1';

/** Why a link was refused. */
export type DownloadCheck = 'ok' | 'expired' | 'invalid';

const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
const EXPIRES = /^[1-9][0-9]{0,12}$/;

export class DownloadSigner {
  readonly #key: Buffer;

  /** `key`: 32 bytes, from MasterKey.deriveKey(DOWNLOAD_KEY_LABEL). */
  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new Error('the download-link key must be 32 bytes');
    this.#key = Buffer.from(key);
  }

  #mac(id: string, expires: string): Buffer {
    // Length-prefixed fields: no (id, expires) pair is another's.
    return createHmac('sha256', this.#key)
      .update(`${DOWNLOAD_KEY_LABEL}\n${id.length}:${id}\n${expires}`, 'utf8')
      .digest();
  }

  /** The query string of a link valid until `expiresAt` (ms; rounded down to the second). */
  sign(id: string, expiresAt: number): { expires: string; signature: string } {
    const expires = String(Math.floor(expiresAt / 1000));
    return { expires, signature: this.#mac(id, expires).toString('base64url') };
  }

  /**
   * Checks a link's `expires` and `signature` (as received, untrusted) for
   * `id` at time `now` (ms). The signature is compared in constant time, and
   * only after its shape: a malformed one is refused without computing the MAC.
   */
  check(id: string, expires: unknown, signature: unknown, now: number): DownloadCheck {
    if (typeof expires !== 'string' || typeof signature !== 'string') return 'invalid';
    if (!EXPIRES.test(expires) || !SIGNATURE.test(signature)) return 'invalid';
    const given = Buffer.from(signature, 'base64url');
    const expected = this.#mac(id, expires);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    // Checked after the signature: an expiry is only worth reading once it is authentic.
    return Number(expires) * 1000 > now ? 'ok' : 'expired';
  }
}
