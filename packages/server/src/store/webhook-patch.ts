import type { WebhookPatch, WebhookRecord } from './webhook-port.js';

/**
 * A webhook after an API patch (WebhookStore.updateWebhook), and whether its
 * cursors should be retried at once: both stores apply patches with this.
 */
export function applyWebhookPatch(
  w: WebhookRecord,
  patch: WebhookPatch,
): WebhookRecord & { retryNow: boolean } {
  let { enabled, disabledReason, consecutiveFailures, failingSince } = w;
  let retryNow = patch.url !== undefined && patch.url !== w.url;
  if (patch.enabled === true && !w.enabled) {
    // Re-enabled: a fresh start from where the cursors stand.
    enabled = true;
    disabledReason = null;
    consecutiveFailures = 0;
    failingSince = null;
    retryNow = true;
  } else if (patch.enabled === false && w.enabled) {
    enabled = false;
    disabledReason = 'manual';
  }
  return {
    ...w,
    url: patch.url ?? w.url,
    description: patch.description ?? w.description,
    actions: patch.actions === undefined ? w.actions : patch.actions,
    enabled,
    disabledReason,
    consecutiveFailures,
    failingSince,
    retryNow,
  };
}
