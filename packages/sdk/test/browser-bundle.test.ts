// The SDK's verifier must run in a browser. Until a real browser test exists,
// this bundles it for the browser with esbuild and runs the bundle in a bare
// V8 context holding only what a browser page has (TextEncoder, TextDecoder,
// crypto.getRandomValues, atob, btoa): no require, no process, no Buffer,
// and no eval (as under a strict Content-Security-Policy).
import { webcrypto } from 'node:crypto';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as vm from 'node:vm';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventVerifyResponse, Org, StoredEvent } from '../src/index.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

async function bundleForBrowser(entry: string): Promise<{ code: string; metafile: Metafile }> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'LogproofVerify',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
  return { code: result.outputFiles[0]!.text, metafile: result.metafile };
}

function nodeImports(metafile: Metafile): string[] {
  return Object.values(metafile.inputs)
    .flatMap((input) => input.imports)
    .filter((i) => i.external || NODE_BUILTINS.has(i.path) || i.path.startsWith('node:'))
    .map((i) => i.path);
}

// Runs inside the context, so that these globals and the bytes they return
// belong to the page's realm, as they would in a browser. `crypto.subtle` is
// there only when the host lends its WebCrypto (a secure context's page).
const PRELUDE = `(() => {
  const host = globalThis.__host;
  delete globalThis.__host;
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(text = '') { return new Uint8Array(host.encode(String(text))); }
  }
  class TextDecoder {
    #fatal; #ignoreBOM;
    constructor(label = 'utf-8', options = {}) {
      if (String(label).toLowerCase() !== 'utf-8') throw new RangeError('utf-8 only');
      this.#fatal = Boolean(options.fatal);
      this.#ignoreBOM = Boolean(options.ignoreBOM);
    }
    get encoding() { return 'utf-8'; }
    decode(bytes = new Uint8Array(0)) { return host.decode(bytes, this.#fatal, this.#ignoreBOM); }
  }
  const crypto = Object.freeze({
    getRandomValues: (array) => host.getRandomValues(array),
    ...(host.subtle === undefined ? {} : { subtle: host.subtle }),
  });
  for (const [name, value] of Object.entries({ TextEncoder, TextDecoder, crypto, atob: host.atob, btoa: host.btoa })) {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
  }
})();`;

function browserLikeContext(options: { subtle?: SubtleCrypto } = {}): vm.Context {
  const context = vm.createContext({}, { codeGeneration: { strings: false, wasm: false } });
  const encoder = new TextEncoder();
  context.__host = {
    encode: (text: string) => encoder.encode(text),
    decode: (bytes: Uint8Array, fatal: boolean, ignoreBOM: boolean) =>
      new TextDecoder('utf-8', { fatal, ignoreBOM }).decode(bytes),
    getRandomValues: (array: Uint8Array) => webcrypto.getRandomValues(array),
    atob: (s: string) => atob(s),
    btoa: (s: string) => btoa(s),
    subtle: options.subtle,
  };
  vm.runInContext(PRELUDE, context);
  return context;
}

/** As {@link run}, for an expression whose value is a promise. */
async function runAsync(
  context: vm.Context,
  expression: string,
  vars: Record<string, unknown> = {},
): Promise<any> {
  for (const [name, value] of Object.entries(vars)) context[name] = JSON.stringify(value);
  const json = vm.runInContext(`(${expression}).then((r) => JSON.stringify(r))`, context);
  return JSON.parse((await json) as string);
}

/** Runs `expression` in the context with `vars` as JSON strings; returns its JSON result parsed. */
function run(context: vm.Context, expression: string, vars: Record<string, unknown> = {}): any {
  for (const [name, value] of Object.entries(vars)) context[name] = JSON.stringify(value);
  return JSON.parse(vm.runInContext(`JSON.stringify(${expression})`, context) as string);
}

let t: TestServer;
let org: Org;
let event: StoredEvent;
let proof: EventVerifyResponse;

beforeAll(async () => {
  t = await startTestServer();
  const client = t.client();
  org = await client.orgs.get('default');
  await client.events.create({ action: 'user.login', actor: { id: 'user_0' } });
  event = await client.events.create({
    action: 'billing.invoice.paid',
    actor: { id: 'user_1', name: 'Zoë 🦊', email: 'zoe@example.com' },
    target: { id: 'inv_8812', type: 'invoice' },
    metadata: { amount_cents: 12900, currency: 'EUR' },
    context: { ip: '203.0.113.7' },
  });
  await client.events.create({ action: 'user.logout', actor: { id: 'user_1' } });
  proof = await client.events.verify(event.id);
});
afterAll(async () => {
  await t.close();
});

describe('the SDK in a browser bundle', () => {
  it('bundles @logproof/sdk/verify for the browser without any Node built-in', async () => {
    const { code, metafile } = await bundleForBrowser('../src/verify.ts');
    expect(nodeImports(metafile)).toEqual([]);
    expect(Object.keys(metafile.inputs).some((p) => p.includes('@noble'))).toBe(true);
    expect(Object.keys(metafile.inputs).some((p) => p.endsWith('verify-webcrypto.ts'))).toBe(true);
    expect(code).not.toMatch(/\brequire\(["'](?:node:)?[a-z_]+["']\)/);
  });

  it('bundles the whole SDK, client included, without any Node built-in', async () => {
    const { metafile } = await bundleForBrowser('../src/index.ts');
    expect(nodeImports(metafile)).toEqual([]);
  });

  it('verifies a real event inside a context that has only browser globals', async () => {
    const { code } = await bundleForBrowser('../src/verify.ts');
    const context = browserLikeContext();
    expect(
      run(context, `[typeof require, typeof process, typeof Buffer, typeof module, typeof global]`),
    ).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'undefined']);
    expect(() => vm.runInContext('eval("1")', context)).toThrow(
      /Code generation from strings disallowed/,
    );
    vm.runInContext(code, context);

    const good = run(
      context,
      'LogproofVerify.verifyEvent(JSON.parse(event), { verifierKeys: JSON.parse(key) })',
      {
        event,
        key: org.verifier_key,
      },
    );
    expect(good).toMatchObject({
      valid: true,
      checks: { canonical: true, leaf_hash: true, chain_link: true, signature: true },
    });

    const tampered = { ...event, metadata: { ...event.metadata, amount_cents: 1 } };
    const bad = run(
      context,
      'LogproofVerify.verifyEvent(JSON.parse(event), { verifierKeys: JSON.parse(key) })',
      {
        event: tampered,
        key: org.verifier_key,
      },
    );
    expect(bad).toMatchObject({
      valid: false,
      checks: { canonical: true, leaf_hash: false, signature: false },
    });
  });

  it('repeats the server verification (checkpoint and inclusion) inside that context', async () => {
    const { code } = await bundleForBrowser('../src/verify.ts');
    const context = browserLikeContext();
    vm.runInContext(code, context);
    const expression =
      'LogproofVerify.verifyEventProof(JSON.parse(proof), JSON.parse(key), { event: JSON.parse(event) })';
    const good = run(context, expression, { proof, key: org.verifier_key, event });
    expect(good).toMatchObject({ valid: true, checks: { checkpoint: true, inclusion: true } });

    const moved = { ...proof, inclusion_proof: { ...proof.inclusion_proof, leaf_index: 0 } };
    expect(run(context, expression, { proof: moved, key: org.verifier_key, event }).valid).toBe(
      false,
    );
    const forged = { ...proof, checkpoint: proof.checkpoint.replace(/\n\d+\n/, '\n99\n') };
    const result = run(context, expression, { proof: forged, key: org.verifier_key, event });
    expect(result).toMatchObject({ valid: false, checks: { checkpoint: false, signature: true } });
  });

  it('runs verifyEventProofWebCrypto there: with WebCrypto when the page has it, else noble', async () => {
    const { code } = await bundleForBrowser('../src/verify.ts');
    const expression =
      'LogproofVerify.verifyEventProofWebCrypto({ ...JSON.parse(proof), event: JSON.parse(event) }, { verifierKeys: JSON.parse(key) })';
    const tampered = { ...event, metadata: { ...event.metadata, amount_cents: 1 } };
    for (const [subtle, engine] of [
      [webcrypto.subtle as SubtleCrypto, 'webcrypto'],
      [undefined, 'noble'],
    ] as const) {
      const context = browserLikeContext(subtle === undefined ? {} : { subtle });
      vm.runInContext(code, context);
      expect(run(context, 'typeof LogproofVerify.verifyEventProofWebCrypto')).toBe('function');
      const good = await runAsync(context, expression, { proof, key: org.verifier_key, event });
      expect(good).toMatchObject({
        valid: true,
        engine,
        checks: { signature: true, checkpoint: true, inclusion: true },
      });
      const bad = await runAsync(context, expression, {
        proof,
        key: org.verifier_key,
        event: tampered,
      });
      expect(bad).toMatchObject({ valid: false, engine, checks: { leaf_hash: false } });
    }
  });
});
