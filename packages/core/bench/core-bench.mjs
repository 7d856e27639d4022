// Core micro-benchmark: prints figures, asserts no timings (only correctness).
// Runs against the BUILT package: `npm run build && node packages/core/bench/core-bench.mjs`.
// The repo's ESLint config declares no Node globals for plain .mjs scripts:
import {
  equalBytes,
  leafHash,
  MerkleFrontier,
  MerkleTree,
  nobleCrypto,
  storedHashCount,
  verifyConsistency,
  verifyInclusion,
} from '@logproof/core';
import { createNodeCrypto } from '@logproof/core/node-crypto';
import { availableParallelism, loadavg } from 'node:os';

const startLoad = loadavg()[0].toFixed(2);

const TREE_LEAVES = 1_000_000;
const MESSAGE_BYTES = 600;
const nodeCrypto = createNodeCrypto();
const providers = [
  ['node', nodeCrypto],
  ['noble', nobleCrypto],
];
const rows = [];

/** Deterministic PRNG (mulberry32), so runs are comparable. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A ~600-byte canonical-event-like message, different for each `i`. */
const template = new TextEncoder().encode(
  JSON.stringify({
    action: 'user.login',
    actor: { id: 'usr_0000000000', type: 'user', name: 'A. User', email: 'someone@example.com' },
    context: {
      ip: '203.0.113.7',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0',
    },
    metadata: { pad: 'x'.repeat(600) },
  }).slice(0, MESSAGE_BYTES),
);
function message(i) {
  const bytes = template.slice();
  for (let j = 0, v = i; j < 8; j++, v = Math.floor(v / 256)) bytes[j] = v % 256;
  return bytes;
}

/**
 * Runs `run` once and records wall time and the process's CPU time. Rates are
 * per CPU second: on a shared machine wall time mostly measures the other
 * tenants, CPU time the code (it also counts V8's GC helper threads, so it
 * errs on the slow side).
 */
function measure(operation, provider, count, run) {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const result = run();
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  rows.push({ operation, provider, count, wallMs, cpuMs, rate: (count / cpuMs) * 1000 });
  return result;
}

function check(condition, what) {
  if (!condition) throw new Error(`benchmark sanity check failed: ${what}`);
}

// --- leaf hashes -------------------------------------------------------------
const messages = Array.from({ length: 1000 }, (_, i) => message(i));
for (const [name, crypto] of providers) {
  const count = name === 'node' ? 500_000 : 100_000;
  measure(`leaf hashes (${MESSAGE_BYTES} B)`, name, count, () => {
    for (let i = 0; i < count; i++) leafHash(messages[i % 1000], crypto);
  });
}
// The tree's 1M distinct leaf hashes, in one flat buffer (views, not 1M buffers).
const leafBytes = new Uint8Array(TREE_LEAVES * 32);
const leaves = Array.from({ length: TREE_LEAVES }, (_, i) => {
  const view = leafBytes.subarray(i * 32, i * 32 + 32);
  view.set(leafHash(message(i), nodeCrypto));
  return view;
});

// --- MerkleTree and MerkleFrontier appends -----------------------------------
const trees = {};
for (const [name, crypto] of providers) {
  trees[name] = measure('MerkleTree appends (1M leaves)', name, TREE_LEAVES, () => {
    const tree = new MerkleTree(crypto);
    for (let i = 0; i < TREE_LEAVES; i++) tree.append(leaves[i]);
    return tree;
  });
}
const tree = trees.node;
check(equalBytes(tree.root(), trees.noble.root()), 'node and noble trees agree');
delete trees.noble;
const root = tree.root();

for (const [name, crypto] of providers) {
  const frontier = measure('MerkleFrontier appends (1M leaves)', name, TREE_LEAVES, () => {
    const frontier = MerkleFrontier.empty(crypto);
    for (let i = 0; i < TREE_LEAVES; i++) frontier.append(leaves[i]);
    return frontier;
  });
  check(equalBytes(frontier.root(), root), `${name} frontier root equals tree root`);
}

// --- proofs at 1M leaves -----------------------------------------------------
const PROOFS = 100_000;
const SAMPLE_EVERY = 100;
{
  const next = random(1);
  const indexes = Array.from({ length: PROOFS }, () => Math.floor(next() * TREE_LEAVES));
  const sample = [];
  measure('inclusion proofs at 1M', 'node', PROOFS, () => {
    for (let i = 0; i < PROOFS; i++) {
      const proof = tree.inclusionProof(indexes[i]);
      if (i % SAMPLE_EVERY === 0) sample.push([indexes[i], proof]);
    }
  });
  for (const [index, proof] of sample)
    verifyInclusion(index, TREE_LEAVES, leaves[index], proof, root, nodeCrypto);
  for (const [name, crypto] of providers) {
    const count = name === 'node' ? sample.length : sample.length / 2;
    measure('inclusion verifications at 1M', name, count, () => {
      for (let i = 0; i < count; i++) {
        const [index, proof] = sample[i];
        verifyInclusion(index, TREE_LEAVES, leaves[index], proof, root, crypto);
      }
    });
  }
}
{
  const next = random(2);
  const fromSizes = Array.from({ length: PROOFS }, () => 1 + Math.floor(next() * TREE_LEAVES));
  const sample = [];
  measure('consistency proofs to 1M', 'node', PROOFS, () => {
    for (let i = 0; i < PROOFS; i++) {
      const proof = tree.consistencyProof(fromSizes[i]);
      if (i % SAMPLE_EVERY === 0) sample.push([fromSizes[i], proof]);
    }
  });
  const fromRoots = sample.map(([from]) => tree.root(from));
  sample.forEach(([from, proof], i) =>
    verifyConsistency(from, TREE_LEAVES, proof, fromRoots[i], root, nodeCrypto),
  );
  for (const [name, crypto] of providers) {
    const count = name === 'node' ? sample.length : sample.length / 2;
    measure('consistency verifications to 1M', name, count, () => {
      for (let i = 0; i < count; i++) {
        const [from, proof] = sample[i];
        verifyConsistency(from, TREE_LEAVES, proof, fromRoots[i], root, crypto);
      }
    });
  }
}

// --- Ed25519 over ~600-byte messages ----------------------------------------
const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
for (const [name, crypto] of providers) {
  const count = name === 'node' ? 20_000 : 2_000;
  const signer = crypto.ed25519Signer(seed);
  const signatures = measure(`Ed25519 signatures (${MESSAGE_BYTES} B)`, name, count, () =>
    Array.from({ length: count }, (_, i) => signer.sign(messages[i % 1000])),
  );
  const ok = measure(`Ed25519 verifications (${MESSAGE_BYTES} B)`, name, count, () => {
    let valid = 0;
    for (let i = 0; i < count; i++) {
      if (crypto.ed25519Verify(signer.publicKey, messages[i % 1000], signatures[i])) valid++;
    }
    return valid;
  });
  check(ok === count, `${name} Ed25519 signatures verify`);
}

// --- report ------------------------------------------------------------------
const format = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const table = [['operation', 'crypto', 'count', 'wall ms', 'CPU ms', 'per CPU second']].concat(
  rows.map((r) => [
    r.operation,
    r.provider,
    format(r.count),
    format(r.wallMs),
    format(r.cpuMs),
    format(r.rate),
  ]),
);
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
const line = (row) =>
  row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
console.log(
  `@logproof/core micro-benchmark — Node ${process.version}, ${process.platform}/${process.arch}`,
);
console.log(line(table[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table.slice(1)) console.log(line(row));
console.log(
  `\nMerkleTree hash storage at 1M leaves: ${format((storedHashCount(TREE_LEAVES) * 32) / 2 ** 20, 1)} MiB` +
    ` (${format(storedHashCount(TREE_LEAVES))} hashes x 32 B)`,
);
console.log(`peak RSS: ${format(process.resourceUsage().maxRSS / 1024, 1)} MiB`);
console.log(
  `load average (1 min) at start / end: ${startLoad} / ${loadavg()[0].toFixed(2)} on ${availableParallelism()} CPUs`,
);
