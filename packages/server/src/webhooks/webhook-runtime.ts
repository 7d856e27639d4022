import type { Config } from '../config.js';
import type { MasterKey } from '../master-key.js';
import type { Tenancy } from '../services/tenancy.js';
import type { Store } from '../store/store.js';
import { DeliveryWorker, type DeliveryWorkerOptions } from './delivery-worker.js';
import { RetrySchedule } from './schedule.js';
import { SsrfGuard, type HostResolver } from './ssrf-guard.js';
import { WebhookSecrets } from './webhook-secrets.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhookService } from './webhook-service.js';

/** What a composition root may set beyond the configuration (tests: a stub resolver, faster polls). */
export interface WebhookOptions {
  /** DNS for the SSRF guard; the system resolver when absent. */
  readonly resolver?: HostResolver;
  readonly worker?: Omit<
    DeliveryWorkerOptions,
    'store' | 'secrets' | 'sender' | 'schedule' | 'clock'
  >;
}

/** The webhook parts of one process: the API's service and the delivery worker, sharing one guard and sender. */
export interface WebhookRuntime {
  readonly guard: SsrfGuard;
  readonly worker: DeliveryWorker;
  /** Stops the worker (its cursors saved, its leases given up) and closes the connections. */
  close(): Promise<void>;
}

function createParts(
  config: Config,
  deps: { store: Store; masterKey: MasterKey; clock: () => number },
  options: WebhookOptions,
) {
  const guard = new SsrfGuard(
    { allowPrivate: config.webhookAllowPrivate, allowHttp: config.webhookAllowHttp },
    options.resolver,
  );
  const sender = new WebhookSender({
    guard,
    timeoutMs: config.webhookTimeoutMs,
    clock: deps.clock,
  });
  const secrets = new WebhookSecrets(deps.masterKey);
  const worker = new DeliveryWorker({
    leaseMs: config.webhookLeaseMs,
    ...options.worker,
    store: deps.store,
    secrets,
    sender,
    schedule: new RetrySchedule(config.webhookRetryBaseMs),
    clock: deps.clock,
  });
  return { guard, sender, secrets, worker };
}

/** Builds the webhook service and worker for `createLogproof`; the caller starts the worker. */
export function createWebhookRuntime(
  config: Config,
  deps: { store: Store; tenancy: Tenancy; masterKey: MasterKey; clock: () => number },
  options: WebhookOptions = {},
): WebhookRuntime & { readonly service: WebhookService } {
  const { guard, sender, secrets, worker } = createParts(config, deps, options);
  const service = new WebhookService({
    store: deps.store,
    tenancy: deps.tenancy,
    guard,
    sender,
    secrets,
    secretGraceMs: config.webhookSecretGraceMs,
    clock: deps.clock,
  });
  return {
    guard,
    worker,
    service,
    async close() {
      await worker.stop();
      await sender.close();
    },
  };
}

/** The worker alone, for `logproof worker`: same store, same master key, no HTTP API. */
export function createWebhookWorker(
  config: Config,
  deps: { store: Store; masterKey: MasterKey; clock?: () => number },
  options: WebhookOptions = {},
): WebhookRuntime {
  const { guard, sender, worker } = createParts(
    config,
    { ...deps, clock: deps.clock ?? Date.now },
    options,
  );
  return {
    guard,
    worker,
    async close() {
      await worker.stop();
      await sender.close();
    },
  };
}
