// The contract suite of the portal port (src/store/portal-port.ts), run
// against real SQLite and real PostgreSQL (STYLE.md habit 3).
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PortalLinkRecord, PortalSessionRecord } from '../src/store/portal-port.js';
import type { OrgRecord, ProjectRecord } from '../src/store/records.js';
import type { Store } from '../src/store/store.js';
import { newId, seedOrg } from './helpers/records.js';
import type { StoreHarness } from './store-contract.js';

const T0 = 1_760_000_000_000;

function tokenHash(): string {
  return createHash('sha256').update(randomBytes(32)).digest('hex');
}

function makeLink(
  project: ProjectRecord,
  org: OrgRecord,
  overrides: Partial<PortalLinkRecord> = {},
): PortalLinkRecord {
  return {
    id: newId('plink'),
    projectId: project.id,
    orgId: org.id,
    tokenHash: tokenHash(),
    permissions: ['view', 'verify', 'export'],
    sessionTtl: 3600,
    createdAt: T0,
    expiresAt: T0 + 900_000,
    usedAt: null,
    ...overrides,
  };
}

function makeSession(link: PortalLinkRecord, overrides: Partial<PortalSessionRecord> = {}) {
  const session: PortalSessionRecord = {
    id: newId('psess'),
    projectId: link.projectId,
    orgId: link.orgId,
    linkId: link.id,
    permissions: link.permissions,
    tokenHash: tokenHash(),
    createdAt: T0 + 10,
    expiresAt: T0 + 10 + link.sessionTtl * 1000,
    revokedAt: null,
    ...overrides,
  };
  return session;
}

export function describePortalStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`${name} (PortalStore contract)`, () => {
    let harness: StoreHarness;
    let store: Store;
    let project: ProjectRecord;
    let org: OrgRecord;

    beforeEach(async () => {
      harness = await open();
      store = harness.store;
      await store.migrate();
      ({ project, org } = await seedOrg(store));
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    describe('project branding', () => {
      it('reads a new project with no logo and no accent colour', async () => {
        expect(await store.getProjectBranding(project.id)).toEqual({
          id: project.id,
          name: project.name,
          logoUrl: null,
          accentColor: null,
          createdAt: project.createdAt,
        });
      });

      it('changes only the members given, and clears a member set to null', async () => {
        const logo = 'https://cdn.example.com/logo.png';
        expect(
          await store.updateProjectBranding(project.id, { logoUrl: logo, accentColor: '#112233' }),
        ).toMatchObject({ name: project.name, logoUrl: logo, accentColor: '#112233' });
        expect(await store.updateProjectBranding(project.id, { name: 'Renamed' })).toMatchObject({
          name: 'Renamed',
          logoUrl: logo,
          accentColor: '#112233',
        });
        expect(await store.updateProjectBranding(project.id, { accentColor: null })).toMatchObject({
          name: 'Renamed',
          logoUrl: logo,
          accentColor: null,
        });
        expect(await store.getProjectBranding(project.id)).toMatchObject({
          name: 'Renamed',
          logoUrl: logo,
          accentColor: null,
        });
        // The project record itself reads the new name too.
        expect((await store.getProject(project.id))?.name).toBe('Renamed');
      });

      it('answers null for an unknown project and changes nothing', async () => {
        expect(await store.getProjectBranding('proj_missing')).toBeNull();
        expect(await store.updateProjectBranding('proj_missing', { name: 'x' })).toBeNull();
        expect((await store.getProject(project.id))?.name).toBe(project.name);
      });
    });

    describe('portal links', () => {
      it('consumes a link once, returning it as stored with used_at set', async () => {
        const link = makeLink(project, org, { permissions: ['view', 'webhooks'] });
        await store.insertPortalLink(link);
        expect(await store.consumePortalLink(link.tokenHash, T0 + 5)).toEqual({
          ...link,
          usedAt: T0 + 5,
        });
        expect(await store.consumePortalLink(link.tokenHash, T0 + 6)).toBeNull();
      });

      it('never consumes an expired link, nor an unknown token', async () => {
        const link = makeLink(project, org);
        await store.insertPortalLink(link);
        expect(await store.consumePortalLink(link.tokenHash, link.expiresAt)).toBeNull();
        expect(await store.consumePortalLink(tokenHash(), T0)).toBeNull();
        // Still unused: a refused expired open does not mark it.
        expect(await store.consumePortalLink(link.tokenHash, link.expiresAt - 1)).toMatchObject({
          usedAt: link.expiresAt - 1,
        });
      });

      it('refuses a second link with the same token hash', async () => {
        const link = makeLink(project, org);
        await store.insertPortalLink(link);
        await expect(
          store.insertPortalLink(makeLink(project, org, { tokenHash: link.tokenHash })),
        ).rejects.toThrow();
      });

      it('lets exactly one of 20 concurrent consumers win, across two processes', async () => {
        const link = makeLink(project, org);
        await store.insertPortalLink(link);
        const peer = await harness.openPeer();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? store : peer).consumePortalLink(link.tokenHash, T0 + 1 + i),
          ),
        );
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(winners[0]!.id).toBe(link.id);
      });
    });

    describe('portal sessions', () => {
      it('finds a session by its token hash, exactly as stored', async () => {
        const link = makeLink(project, org);
        await store.insertPortalLink(link);
        const session = makeSession(link, { permissions: ['view', 'export', 'webhooks'] });
        await store.insertPortalSession(session);
        expect(await store.findPortalSession(session.tokenHash)).toEqual(session);
        expect(await store.findPortalSession(tokenHash())).toBeNull();
      });

      it('revokes once, within the project only', async () => {
        const link = makeLink(project, org);
        await store.insertPortalLink(link);
        const session = makeSession(link);
        await store.insertPortalSession(session);
        const other = await seedOrg(store);
        expect(await store.revokePortalSession(other.project.id, session.id, T0 + 20)).toBe(false);
        expect((await store.findPortalSession(session.tokenHash))?.revokedAt).toBeNull();
        expect(await store.revokePortalSession(project.id, session.id, T0 + 30)).toBe(true);
        // A second revocation keeps the first time.
        await store.revokePortalSession(project.id, session.id, T0 + 40);
        expect((await store.findPortalSession(session.tokenHash))?.revokedAt).toBe(T0 + 30);
        expect(await store.revokePortalSession(project.id, 'psess_missing', T0)).toBe(false);
      });
    });
  });
}
