import {
  equalBytes,
  isLogproofError,
  readerFromMap,
  treeHash,
  treeHashIndexes,
  type CryptoProvider,
} from '@logproof/core';
import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../plugins/metrics.js';
import type { OrgRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { VerifiedPrefix } from './log-verifier.js';
import type { VerificationService } from './verification-service.js';

/** The last self-audit of one org's log (GET /v1/orgs/{org} `self_audit`). */
export interface SelfAuditResult {
  readonly checkedAt: number;
  readonly valid: boolean;
  readonly treeSize: number;
  /** The smallest chain_index a problem names; null when valid (or no event is named). */
  readonly firstBadIndex: number | null;
  /** This run re-read the whole log (not only the events since the last run). */
  readonly full: boolean;
}

export type AuditLogger = Pick<FastifyBaseLogger, 'error' | 'warn' | 'info'>;

export interface SelfAuditOptions {
  readonly store: Store;
  readonly verification: VerificationService;
  readonly metrics: Metrics;
  readonly crypto: CryptoProvider;
  /** Time between runs; 0 turns the timer off (runOnce still works). */
  readonly intervalMs: number;
  /** Every this many runs an org's log is re-read from the start. */
  readonly fullScanEvery: number;
  readonly clock?: () => number;
}

interface AuditState {
  readonly prefix: VerifiedPrefix;
  readonly runsSinceFull: number;
}

const silent: AuditLogger = { error() {}, warn() {}, info() {} };
const PAGE = 100;

/**
 * The server auditing itself: re-verifies every org's log in the background
 * so that a row changed behind its back (in the database, a backup restore,
 * a bug) is found without anyone asking.
 *
 * Incremental: per org it remembers the verified prefix (size, last chain
 * hash, Merkle frontier). The next run first checks that the prefix still
 * holds (its root recomputed from the stored tree hashes, the hash of its last
 * event, the checkpoint signed at its size) and then verifies only the new
 * events. A change inside the prefix's event rows that leaves the stored tree
 * hashes and its last row alone is found by the full re-scan, every
 * `fullScanEvery` runs; any failure also makes the next run a full one.
 *
 * Each process audits on its own (the results are per process); the work is
 * read-only, so several processes on one PostgreSQL only repeat it.
 */
export class SelfAudit {
  readonly #o: SelfAuditOptions;
  readonly #clock: () => number;
  readonly #state = new Map<string, AuditState>();
  readonly #results = new Map<string, SelfAuditResult>();
  readonly #abort = new AbortController();
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #logger: AuditLogger = silent;

  constructor(options: SelfAuditOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** Starts (or restarts) the timer, unless the interval is 0; runs log to `logger`. */
  start(logger: AuditLogger): void {
    this.#logger = logger;
    clearTimeout(this.#timer);
    if (this.#o.intervalMs > 0 && !this.#abort.signal.aborted) this.#schedule();
  }

  /** Stops the timer, aborts a running pass and waits for it. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#chain.catch(() => {});
  }

  /** The last result for an org in this process, or null before its first audit. */
  resultFor(orgId: string): SelfAuditResult | null {
    return this.#results.get(orgId) ?? null;
  }

  /**
   * Audits every org now (after any pass already running); `full` re-reads
   * every log from the start. Resolves with this pass's results by org id.
   */
  runOnce(options: { full?: boolean } = {}): Promise<Map<string, SelfAuditResult>> {
    const pass = this.#chain.catch(() => {}).then(() => this.#pass(options.full ?? false));
    this.#chain = pass;
    return pass;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.runOnce()
        .catch((error: unknown) =>
          this.#logger.error({ err: error }, 'self-audit: the pass failed'),
        )
        .finally(() => {
          if (!this.#abort.signal.aborted) this.#schedule();
        });
    }, this.#o.intervalMs);
    // Never keep the process alive for the audit alone.
    this.#timer.unref();
  }

  async #pass(full: boolean): Promise<Map<string, SelfAuditResult>> {
    const started = performance.now();
    const results = new Map<string, SelfAuditResult>();
    let afterId: string | undefined;
    for (;;) {
      const ids = await this.#o.store.listOrgIds({ limit: PAGE, ...(afterId ? { afterId } : {}) });
      for (const id of ids) {
        if (this.#abort.signal.aborted) return results;
        const org = await this.#o.store.getOrgById(id);
        if (!org) continue;
        try {
          results.set(id, await this.#auditOrg(org, full));
        } catch (error) {
          if (this.#abort.signal.aborted) return results;
          // An unreachable database is not a tampered log: say so, keep the last result.
          this.#logger.warn({ err: error, org: id }, 'self-audit: could not audit the org log');
        }
      }
      if (ids.length < PAGE) break;
      afterId = ids.at(-1);
    }
    this.#o.metrics.selfAuditPassSeconds.set((performance.now() - started) / 1000);
    return results;
  }

  async #auditOrg(org: OrgRecord, forceFull: boolean): Promise<SelfAuditResult> {
    const previous = this.#state.get(org.id);
    let full =
      forceFull ||
      previous === undefined ||
      previous.runsSinceFull + 1 >= this.#o.fullScanEvery ||
      org.treeSize < previous.prefix.size;
    if (!full && !(await this.#prefixHolds(org.id, previous!.prefix))) {
      this.#logger.warn(
        { org: org.id },
        'self-audit: the verified prefix changed; re-verifying the whole log',
      );
      full = true;
    }
    const outcome = await this.#o.verification.verifyLog(org, {
      signatures: false,
      from: full ? undefined : previous!.prefix,
      signal: this.#abort.signal,
      // Background work: short slices, so that requests wait less behind it.
      chunkSize: 1000,
    });
    if (outcome.prefix) {
      this.#state.set(org.id, {
        prefix: outcome.prefix,
        runsSinceFull: full ? 0 : previous!.runsSinceFull + 1,
      });
    } else {
      this.#state.delete(org.id);
    }
    const result: SelfAuditResult = {
      checkedAt: this.#clock(),
      valid: outcome.valid,
      treeSize: outcome.treeSize,
      firstBadIndex: outcome.firstBadIndex,
      full,
    };
    this.#results.set(org.id, result);
    this.#o.metrics.recordSelfAudit(org.id, result);
    if (!outcome.valid) {
      this.#logger.error(
        {
          org: org.id,
          first_bad_index: outcome.firstBadIndex,
          problems: outcome.problems
            .slice(0, 10)
            .map((p) => ({ chain_index: p.chainIndex, check: p.check, detail: p.detail })),
        },
        `self-audit: the log of org ${org.id} is NOT valid; first bad chain_index ${String(outcome.firstBadIndex)}`,
      );
    }
    return result;
  }

  /** The stored tree still gives the prefix's root, and its last event still has its hash. */
  async #prefixHolds(orgId: string, prefix: VerifiedPrefix): Promise<boolean> {
    const { store, crypto } = this.#o;
    try {
      const hashes = await store.readTreeHashes(orgId, treeHashIndexes(prefix.size));
      if (!equalBytes(treeHash(prefix.size, readerFromMap(hashes), crypto), prefix.frontier.root()))
        return false;
    } catch (error) {
      if (isLogproofError(error)) return false;
      throw error;
    }
    if (prefix.size === 0) return true;
    const [last] = await store.scanLog(orgId, prefix.size - 1, 1);
    return last !== undefined && equalBytes(last.hash, prefix.headHash);
  }
}
