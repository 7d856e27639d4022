// Real PostgreSQL for tests (STYLE.md habit 4: never mock your own database).
// LOGPROOF_TEST_DATABASE_URL names a server and a database to connect to as
// an administrator; every test database is created beside it and dropped.
import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier } from 'pg';
import { describe, it } from 'vitest';

const ENV = 'LOGPROOF_TEST_DATABASE_URL';

/** True when the PostgreSQL suites have a server to run against. */
export function postgresAvailable(): boolean {
  return Boolean(process.env[ENV]);
}

function adminUrl(): string {
  const url = process.env[ENV];
  if (!url) throw new Error(`${ENV} is not set`);
  return url;
}

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty, uniquely named database on the test server. `drop()`
 * removes it, ending any connection a test left open (WITH (FORCE), PG 13+).
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `logproof_test_${Date.now().toString(36)}_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${escapeIdentifier(name)}`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await withAdmin((c) =>
        c.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}

/**
 * `describe` for suites that need PostgreSQL. Without LOGPROOF_TEST_DATABASE_URL
 * the suite is skipped with a warning on a workstation, but fails in CI, so a
 * misconfigured pipeline cannot go green by testing nothing.
 */
export function describeWithPostgres(name: string, body: () => void): void {
  if (postgresAvailable()) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it(`needs ${ENV} in CI`, () => {
        throw new Error(`${ENV} is not set: the PostgreSQL suites cannot run`);
      });
    });
  } else {
    console.warn(`[logproof] ${ENV} is not set: skipping "${name}" (PostgreSQL)`);
    describe.skip(name, body);
  }
}
