/**
 * Webhook destinations, their delivery cursors, leases and attempt history.
 * Implemented in stores/<kind>/webhooks.ts; the adapters delegate to it.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface WebhookStore {}
