import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

/**
 * CPU seconds (user + system, every thread) a process of this machine has
 * used, from /proc; NaN where there is no /proc (not Linux). `path` reads
 * one thread instead: /proc/<pid>/task/<tid>/stat.
 */
export function processCpuSeconds(pid, path = `/proc/${pid}/stat`) {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ = 100
  } catch {
    return NaN;
  }
}

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
    pid: child.pid,
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
