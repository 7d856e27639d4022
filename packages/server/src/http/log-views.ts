import { bytesToBase64, bytesToHex } from '@logproof/core';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PublishedKey } from '../services/verification-service.js';
import type { CheckpointRecord } from '../store/records.js';

// Shared JSON views of checkpoints and keys, for the authenticated
// verification routes and the public log routes alike.

export const CheckpointJsonSchema = Type.Object(
  {
    origin: Type.String({ description: 'The log origin (PROOFS.md §1)' }),
    tree_size: Type.Integer(),
    root_hash: Type.String({ description: 'RFC 6962 root, hex' }),
    checkpoint: Type.String({ description: 'The C2SP signed note' }),
    key_id: Type.String({ description: 'The key that signed it, 8 hex digits' }),
    verifier_key: Type.String({ description: 'C2SP verifier key of that key' }),
    created_at: Type.String({ format: 'date-time' }),
  },
  { description: 'A signed checkpoint (with Accept: application/json)' },
);

export const PublishedKeySchema = Type.Object({
  key_id: Type.String(),
  verifier_key: Type.String({
    description: 'C2SP verifier key: <origin>+<key id>+<base64(0x01 || public key)>',
  }),
  public_key: Type.String({ description: 'base64 of the 32-byte Ed25519 public key' }),
  created_at: Type.String({ format: 'date-time' }),
  retired_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export function keyView(k: PublishedKey) {
  return {
    key_id: k.record.keyId,
    verifier_key: k.verifierKey,
    public_key: bytesToBase64(k.record.publicKey),
    created_at: new Date(k.record.createdAt).toISOString(),
    retired_at: k.record.retiredAt === null ? null : new Date(k.record.retiredAt).toISOString(),
  };
}

export function checkpointJson(cp: CheckpointRecord, origin: string, key: PublishedKey | null) {
  if (!key) throw new Error(`checkpoint key ${cp.keyId} not found`);
  return {
    origin,
    tree_size: cp.treeSize,
    root_hash: bytesToHex(cp.rootHash),
    checkpoint: cp.note,
    key_id: cp.keyId,
    verifier_key: key.verifierKey,
    created_at: new Date(cp.createdAt).toISOString(),
  };
}

/** Checkpoints are text/plain signed notes unless the client asks for JSON (API.md). */
export function wantsJson(request: FastifyRequest): boolean {
  return /application\/json/i.test(request.headers.accept ?? '');
}

/**
 * Answers with a checkpoint: the C2SP signed note as text/plain, or its JSON
 * view for `Accept: application/json`. The keys are read only for JSON.
 */
export async function sendCheckpoint(
  request: FastifyRequest,
  reply: FastifyReply,
  checkpoint: CheckpointRecord,
  origin: string,
  publishedKeys: () => Promise<PublishedKey[]>,
): Promise<string | ReturnType<typeof checkpointJson>> {
  if (wantsJson(request)) {
    const keys = await publishedKeys();
    return checkpointJson(
      checkpoint,
      origin,
      keys.find((k) => k.record.keyId === checkpoint.keyId) ?? null,
    );
  }
  void reply.type('text/plain; charset=utf-8');
  return checkpoint.note;
}
