import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config.js';

const VERSION = 1;

/**
 * Seals org signing seeds at rest (PROOFS.md §6) with AES-256-GCM. The
 * associated data binds each ciphertext to its org and key id, so a sealed
 * seed copied onto another org's row does not open.
 */
export class MasterKey {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new ConfigError('the master key must be 32 bytes');
    this.#key = Buffer.from(key);
  }

  /** Parses LOGPROOF_MASTER_KEY: 32 bytes as 64 hex digits or base64. */
  static parse(text: string): MasterKey {
    const trimmed = text.trim();
    const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed)
      ? Buffer.from(trimmed, 'hex')
      : Buffer.from(trimmed, 'base64');
    if (bytes.length !== 32) {
      throw new ConfigError('LOGPROOF_MASTER_KEY must be 32 bytes, as 64 hex digits or base64');
    }
    return new MasterKey(bytes);
  }

  /**
   * Loads `<dataDir>/master.key`, creating it (mode 0600) on first use.
   * Returns whether it was created, so the caller can say so in the log.
   */
  static loadOrCreate(dataDir: string): { key: MasterKey; created: boolean; path: string } {
    const path = join(dataDir, 'master.key');
    if (existsSync(path))
      return { key: MasterKey.parse(readFileSync(path, 'utf8')), created: false, path };
    mkdirSync(dataDir, { recursive: true });
    const bytes = randomBytes(32);
    // 'wx': never overwrite a key another process wrote in the meantime.
    try {
      writeFileSync(path, bytes.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        return { key: MasterKey.parse(readFileSync(path, 'utf8')), created: false, path };
      }
      throw error;
    }
    chmodSync(path, 0o600);
    return { key: new MasterKey(bytes), created: true, path };
  }

  /**
   * A 32-byte key for one purpose, derived with HKDF-SHA256 (RFC 5869) under
   * its own `label` (the info string), so that keys of different uses never
   * coincide and none reveals the master key.
   */
  deriveKey(label: string): Uint8Array {
    return new Uint8Array(hkdfSync('sha256', this.#key, new Uint8Array(0), label, 32));
  }

  seal(plaintext: Uint8Array, context: string): Uint8Array {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Uint8Array, context: string): Uint8Array {
    const buf = Buffer.from(sealed);
    if (buf.length < 29 || buf[0] !== VERSION) throw new Error('sealed key: unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, buf.subarray(1, 13));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(buf.subarray(13, 29));
    return Buffer.concat([decipher.update(buf.subarray(29)), decipher.final()]);
  }
}
