import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LogproofApiError, type BatchItem, type StoredEvent } from '../src/index.js';
import { faultyFetch, type SeenRequest } from './helpers/faulty-fetch.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

const isBatch = (url: string) => url.endsWith('/v1/events/batch');

function batches(seen: SeenRequest[]): BatchItem[][] {
  return seen.filter((r) => isBatch(r.url)).map((r) => (r.body as { events: BatchItem[] }).events);
}

function event(i: number, extra: Partial<BatchItem> = {}): BatchItem {
  return { action: 'user.login', actor: { id: `user_${i}` }, metadata: { i }, ...extra };
}

async function treeSize(): Promise<number> {
  return (await t.client().orgs.get('default')).tree_size;
}

describe('BatchSender', () => {
  it('sends a batch as soon as it holds maxBatch events', async () => {
    const net = faultyFetch();
    const sender = t
      .client({ fetch: net.fetch })
      .events.sender({ maxBatch: 5, flushIntervalMs: 60_000 });
    const results = Array.from({ length: 12 }, (_, i) => sender.add(event(i)));
    const firstTen = await Promise.all(results.slice(0, 10));
    expect(batches(net.seen).map((b) => b.length)).toEqual([5, 5]);
    expect(sender.pending).toBe(2);
    await sender.close();
    const all = [...firstTen, ...(await Promise.all(results.slice(10)))];
    expect(batches(net.seen).map((b) => b.length)).toEqual([5, 5, 2]);
    // Batches go one at a time, in order: the log keeps the order of add().
    const first = all[0]!.chain_index;
    expect(all.map((e) => e.chain_index)).toEqual(all.map((_, i) => first + i));
    expect(all.map((e) => e.metadata.i)).toEqual(all.map((_, i) => i));
  });

  it('sends a partial batch once its oldest event has waited flushIntervalMs', async () => {
    const net = faultyFetch();
    const sender = t.client({ fetch: net.fetch }).events.sender({ flushIntervalMs: 100 });
    const started = Date.now();
    const stored = await Promise.all([
      sender.add(event(1)),
      sender.add(event(2)),
      sender.add(event(3)),
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(stored).toHaveLength(3);
    expect(batches(net.seen).map((b) => b.length)).toEqual([3]);
    await sender.close();
  });

  it('flushes on close, resolves with what it did, and refuses events afterwards', async () => {
    const net = faultyFetch();
    const sender = t.client({ fetch: net.fetch }).events.sender({ flushIntervalMs: 60_000 });
    const pending = [sender.add(event(1)), sender.add(event(2))];
    expect(net.seen).toHaveLength(0);
    expect(await sender.close()).toEqual({ sent: 2, failed: 0 });
    expect((await Promise.all(pending)).map((e) => e.action)).toEqual(['user.login', 'user.login']);
    await expect(sender.add(event(3))).rejects.toThrow(/closed/);
    expect(sender.close()).toBe(sender.close());
  });

  it('gives every event its own idempotency key, so a retried batch is stored once', async () => {
    const net = faultyFetch(isBatch);
    const sender = t.client({ fetch: net.fetch }).events.sender({ flushIntervalMs: 60_000 });
    const before = await treeSize();
    net.plan('lose-answer');
    const pending = [1, 2, 3, 4].map((i) => sender.add(event(i)));
    pending.push(sender.add(event(5), { idempotencyKey: 'mine-5' }));
    await sender.close();
    await Promise.all(pending);
    const [first, retry] = batches(net.seen);
    expect(retry).toEqual(first);
    const keys = first!.map((item) => item.idempotency_key);
    expect(new Set(keys).size).toBe(5);
    expect(keys[4]).toBe('mine-5');
    const headers = net.seen.filter((r) => isBatch(r.url)).map((r) => r.idempotencyKey);
    expect(headers[1]).toBe(headers[0]);
    expect(await treeSize()).toBe(before + 5);
  });

  it('rejects only the events the server refuses and stores the others', async () => {
    const net = faultyFetch();
    const sender = t.client({ fetch: net.fetch }).events.sender({ flushIntervalMs: 60_000 });
    const good1 = sender.add(event(1));
    const bad = sender.add(event(2, { action: 'Not.Valid' })).catch((e: unknown) => e);
    const good2 = sender.add(event(3));
    expect(await sender.close()).toEqual({ sent: 2, failed: 1 });
    const error = (await bad) as LogproofApiError;
    expect(error).toBeInstanceOf(LogproofApiError);
    expect(error.code).toBe('validation_failed');
    expect(error.problem.errors.map((e) => e.path)).toEqual(['/action']);
    const [a, b] = await Promise.all([good1, good2]);
    expect(b!.chain_index).toBe(a!.chain_index + 1);
    expect(batches(net.seen).map((x) => x.length)).toEqual([3, 2]);
  });

  it('holds add() while maxQueue events are queued or in flight (back-pressure)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seenSizes: number[] = [];
    const gatedFetch: typeof fetch = async (input, init) => {
      if (isBatch(String(input))) {
        seenSizes.push((JSON.parse(String(init?.body)) as { events: unknown[] }).events.length);
        await gate;
      }
      return fetch(input, init);
    };
    const sender = t
      .client({ fetch: gatedFetch })
      .events.sender({ maxBatch: 2, maxQueue: 3, flushIntervalMs: 0 });
    const results = [1, 2, 3, 4, 5].map((i) => sender.add(event(i)));
    await vi.waitFor(() => expect(seenSizes).toEqual([2]));
    expect(sender.pending).toBe(5);
    expect(sender.hasRoom).toBe(false);
    let roomAt = 0;
    const room = sender.waitForRoom().then(() => (roomAt = seenSizes.length));
    await new Promise((r) => setTimeout(r, 50));
    expect(roomAt).toBe(0);
    release();
    await room;
    const stored: StoredEvent[] = await Promise.all(results);
    expect(roomAt).toBeGreaterThanOrEqual(1);
    await sender.close();
    expect(seenSizes).toEqual([2, 2, 1]);
    expect(stored.map((e) => e.actor.id)).toEqual([
      'user_1',
      'user_2',
      'user_3',
      'user_4',
      'user_5',
    ]);
  });

  it('keeps each batch under maxBatchBytes', async () => {
    const net = faultyFetch();
    const sender = t
      .client({ fetch: net.fetch })
      .events.sender({ maxBatchBytes: 1200, flushIntervalMs: 60_000 });
    const description = 'x'.repeat(400);
    const pending = [1, 2, 3, 4, 5].map((i) => sender.add(event(i, { description })));
    await sender.close();
    await Promise.all(pending);
    const sizes = net.seen.filter((r) => isBatch(r.url)).map((r) => JSON.stringify(r.body).length);
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(1200);
  });
});

describe('BatchSender against a server with a smaller body limit', () => {
  it('halves its batches after a 413 and stores every event', async () => {
    const small = await startTestServer({ batchBodyLimit: 2048 });
    try {
      const net = faultyFetch();
      const sender = small.client({ fetch: net.fetch }).events.sender({ flushIntervalMs: 60_000 });
      const pending = [1, 2, 3, 4, 5, 6].map((i) =>
        sender.add(event(i, { description: 'y'.repeat(500) })),
      );
      expect(await sender.close()).toEqual({ sent: 6, failed: 0 });
      await Promise.all(pending);
      expect(batches(net.seen).map((b) => b.length)).toEqual([6, 3, 3]);
    } finally {
      await small.close();
    }
  });
});
