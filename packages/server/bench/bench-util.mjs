import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** Spawns a server process and resolves with its URL (and stdout so far) once it listens. */
export async function startProcess(args, env = {}) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}${err}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}${err}`)));
  });
  return {
    url,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Runs autocannon and returns its result. */
export function cannon(options) {
  return new Promise((resolve, reject) => {
    autocannon({ ...options, setupClient: undefined }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

export function fmt(n, digits = 0) {
  return Number(n).toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}
