import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SelfAuditResult } from '../services/self-audit.js';

/** The app's Prometheus metrics, in a registry of its own (no global state). */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'logproof_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'logproof_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly eventsAppended = new Counter({
    name: 'logproof_events_appended_total',
    help: 'Events durably appended',
    registers: [this.registry],
  });
  readonly commitSize = new Histogram({
    name: 'logproof_commit_events',
    help: 'Events per group commit',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
    registers: [this.registry],
  });
  readonly commitTime = new Histogram({
    name: 'logproof_commit_duration_seconds',
    help: 'Duration of one group commit (compute, sign, write, fsync)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'logproof_batch_request_events',
    help: 'Events per POST /v1/events/batch request',
    buckets: [1, 10, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });

  // Self-audit (services/self-audit.ts): one series per org, the last result.
  readonly selfAuditValid = new Gauge({
    name: 'logproof_self_audit_valid',
    help: '1 when the last self-audit found the org log valid, 0 when it found a problem',
    labelNames: ['org'] as const,
    registers: [this.registry],
  });
  readonly selfAuditTreeSize = new Gauge({
    name: 'logproof_self_audit_tree_size',
    help: 'Log size the last self-audit of the org verified',
    labelNames: ['org'] as const,
    registers: [this.registry],
  });
  readonly selfAuditFirstBadIndex = new Gauge({
    name: 'logproof_self_audit_first_bad_index',
    help: 'First chain_index the last self-audit found a problem at; -1 when none',
    labelNames: ['org'] as const,
    registers: [this.registry],
  });
  readonly selfAuditCheckedAt = new Gauge({
    name: 'logproof_self_audit_last_run_timestamp_seconds',
    help: 'When the org log was last self-audited (unix seconds)',
    labelNames: ['org'] as const,
    registers: [this.registry],
  });
  readonly selfAuditPassSeconds = new Gauge({
    name: 'logproof_self_audit_pass_duration_seconds',
    help: 'Duration of the last self-audit pass over every org',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  recordSelfAudit(orgId: string, result: SelfAuditResult): void {
    const labels = { org: orgId };
    this.selfAuditValid.set(labels, result.valid ? 1 : 0);
    this.selfAuditTreeSize.set(labels, result.treeSize);
    this.selfAuditFirstBadIndex.set(labels, result.valid ? -1 : (result.firstBadIndex ?? 0));
    this.selfAuditCheckedAt.set(labels, result.checkedAt / 1000);
  }

  /**
   * Exports the SQLite append writer thread's busy time (SqliteStore
   * .writerBusySeconds), read at each scrape. Its rate is the thread's
   * utilisation: near 1, appends wait for the writer, not for the requests.
   */
  watchSqliteWriter(busySeconds: () => number): void {
    new Counter({
      name: 'logproof_sqlite_writer_busy_seconds_total',
      help: 'Time the SQLite append writer thread spent committing and indexing hashes; its rate is how busy the thread is (1 = saturated)',
      registers: [this.registry],
      collect() {
        // A counter of a value kept elsewhere: set it to that value.
        this.reset();
        this.inc(busySeconds());
      },
    });
  }

  recordCommit(events: number, durationMs: number): void {
    this.eventsAppended.inc(events);
    this.commitSize.observe(events);
    this.commitTime.observe(durationMs / 1000);
  }
}

export default fp(
  async function metricsPlugin(app: FastifyInstance, options: { metrics: Metrics }) {
    const { metrics } = options;
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.requests.inc({ method: request.method, route, status: reply.statusCode });
      metrics.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });
    // API.md "Operations" lists it, so the reference does too (public, like /healthz).
    const schema = {
      tags: ['operations'],
      summary: 'Prometheus metrics (text exposition format 0.0.4)',
      response: { 200: { description: 'Prometheus text', type: 'string' } },
    };
    app.get('/metrics', { schema }, async (_request, reply) => {
      void reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  },
  { name: 'logproof-metrics' },
);
