// The shapes of the portal session API (/tmp contract "Portal session API",
// API.md "Reading", "Webhooks (streams)"). Events reuse the SDK's types.
import type { StoredEvent } from '@logproof/sdk';

export type { StoredEvent };

export type Permission = 'view' | 'verify' | 'export' | 'webhooks';

export interface Branding {
  name: string;
  logo_url: string | null;
  accent_color: string | null;
}

/** `GET /v1/portal/session` */
export interface PortalSession {
  session_id: string;
  expires_at: string;
  permissions: Permission[];
  csrf_token: string;
  org: { id: string; external_id: string; name: string; origin: string };
  project: Branding;
}

/** `POST /v1/portal/sessions` (201) */
export interface OpenedSession {
  expires_at: string;
  org: { id: string; external_id: string; name: string };
  permissions: Permission[];
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** One of the org's signing keys, current or retired (`GET /v1/portal/keys`). */
export interface PublishedKey {
  key_id: string;
  verifier_key: string;
  public_key: string;
  created_at: string;
  retired_at: string | null;
}

/** `GET /v1/portal/checkpoint` */
export interface CheckpointJson {
  origin: string;
  tree_size: number;
  root_hash: string;
  checkpoint: string;
  key_id: string;
  verifier_key: string;
  created_at: string;
}

/** `GET /v1/portal/events/{id}/verify`: what the server claims; the browser re-checks it all. */
export interface VerifyAnswer {
  event_id: string;
  valid: boolean;
  checks: Record<string, boolean>;
  checkpoint: string;
  verifier_key: string;
  inclusion_proof: { leaf_index: number; tree_size: number; hashes: string[] };
  event?: StoredEvent;
}

export type WebhookState = 'healthy' | 'failing' | 'disabled';

export interface Webhook {
  id: string;
  url: string;
  description: string;
  org: string | null;
  actions: string[] | null;
  enabled: boolean;
  state: WebhookState;
  disabled_reason: 'manual' | 'gone' | 'failing' | null;
  created_at: string;
  updated_at: string;
}

export interface CreatedWebhook extends Webhook {
  secret: string;
}

export interface WebhookHealth {
  state: WebhookState;
  disabled_reason: string | null;
  consecutive_failures: number;
  last_success_at: string | null;
  last_failure_at: string | null;
  failing_since: string | null;
  lag: number;
}

export interface DeliveryAttempt {
  event_id: string | null;
  message_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  attempted_at: string;
  next_retry_at: string | null;
}

export interface Deliveries {
  health: WebhookHealth;
  data: DeliveryAttempt[];
}

/** `POST /v1/portal/webhooks/{id}/test` */
export interface TestResult {
  ok: boolean;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}
