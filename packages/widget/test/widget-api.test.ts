import { describe, expect, it } from 'vitest';
import { describeEvent } from '../src/event-view.js';
import { parseWidgetPage, problemFromResponse } from '../src/widget-api.js';
import { WidgetError } from '../src/widget-error.js';

const proof = { leaf_index: 0, tree_size: 1, hashes: [] };

describe('parseWidgetPage', () => {
  it('reads events, proofs, checkpoint, keys and cursor', () => {
    const page = parseWidgetPage({
      data: [{ event: { id: 'evt_1', action: 'user.login' }, inclusion_proof: proof }],
      checkpoint: 'note',
      keys: [{ key_id: '1a2b3c4d', verifier_key: 'k' }],
      next_cursor: null,
    });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.eventId).toBe('evt_1');
    expect(page.keys).toEqual([{ key_id: '1a2b3c4d', verifier_key: 'k' }]);
    expect(page.nextCursor).toBeNull();
  });

  it('rejects answers that are not widget pages with response_invalid', () => {
    const bad: unknown[] = [
      null,
      [],
      { data: {}, checkpoint: 'n', keys: [], next_cursor: null },
      { data: [], checkpoint: 1, keys: [], next_cursor: null },
      { data: [], checkpoint: 'n', keys: [{ key_id: 1 }], next_cursor: null },
      { data: [], checkpoint: 'n', keys: [], next_cursor: 5 },
      {
        data: [{ event: {}, inclusion_proof: { ...proof, hashes: [1] } }],
        checkpoint: 'n',
        keys: [],
        next_cursor: null,
      },
    ];
    for (const body of bad) {
      expect(() => parseWidgetPage(body)).toThrow(WidgetError);
      try {
        parseWidgetPage(body);
      } catch (error) {
        expect((error as WidgetError).code).toBe('response_invalid');
      }
    }
  });
});

describe('problemFromResponse', () => {
  it('shows an RFC 9457 problem detail and keeps its code', () => {
    const body = JSON.stringify({
      type: 'urn:logproof:problem:embed-token-expired',
      title: 'Unauthorized',
      status: 401,
      detail: 'the embed token has expired',
      code: 'embed_token_expired',
    });
    const error = problemFromResponse(401, 'application/problem+json; charset=utf-8', body);
    expect(error.code).toBe('server_problem');
    expect(error.status).toBe(401);
    expect(error.problemCode).toBe('embed_token_expired');
    expect(error.message).toBe('The embed token was refused: the embed token has expired');
  });

  it('falls back to the status when the body is not a problem', () => {
    const error = problemFromResponse(502, 'text/html', '<h1>Bad gateway</h1>');
    expect(error.message).toBe('The server answered 502.');
    expect(error.problemCode).toBeNull();
  });
});

describe('describeEvent', () => {
  it('shows the actor name with its id, and each target by type and name', () => {
    const view = describeEvent({
      action: 'invoice.paid',
      actor: { id: 'user_1', type: 'user', name: 'Ada' },
      targets: [
        { id: 'inv_1', type: 'invoice', name: 'Invoice #1' },
        { id: 'p_2', type: 'plan' },
      ],
      outcome: 'success',
      occurred_at: '2026-02-10T14:32:18.123Z',
    });
    expect(view.actor).toBe('Ada');
    expect(view.actorDetail).toBe('user_1');
    expect(view.targets).toEqual(['invoice Invoice #1', 'plan p_2']);
    expect(view.occurredAt).toBe('2026-02-10T14:32:18.123Z');
  });

  it('survives an event of the wrong shape with empty strings', () => {
    const view = describeEvent({ actor: 'nobody', targets: 'none', action: 7 });
    expect(view).toMatchObject({
      action: '',
      actor: '',
      actorDetail: '',
      targets: [],
      outcome: '',
    });
  });
});
