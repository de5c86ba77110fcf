// Runs the real `gatehouse` command (from source, through tsx) as a child process.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMMAND = ['--import', 'tsx', 'src/cli/main.ts'];

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a child gets: this one without settings that name a config, port or host, plus `extra`. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GATEHOUSE_') && key !== 'MLFLOW_GATEWAY_CONFIG'));
  return { ...env, ...extra };
}

function start(args: string[], env?: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [...COMMAND, ...args], { cwd: ROOT, env: childEnv(env) });
}

export function runCli(args: string[], env?: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = start(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A running `gatehouse serve`, once it has printed where it listens. */
export interface ServerProcess {
  url: string;
  /** Everything it has written so far. */
  output(): { stdout: string; stderr: string };
  signal(name: NodeJS.Signals): void;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export function startServer(args: string[], env?: Record<string, string>): Promise<ServerProcess> {
  const child = start(args, env);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      // The banner ends with the "try:" line: by then it is complete.
      if (url && stderr.includes('try: curl')) {
        resolve({ url, output: () => ({ stdout, stderr }), signal: (name) => child.kill(name), exited });
      }
    });
    void exited.then((code) => reject(new Error(`gatehouse exited (${code}) before listening:\n${stderr}`)));
  });
}

/** Polls `check` until it returns a value other than undefined; gives up (throws) after `limitMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what = 'the condition', limitMs = 15_000): Promise<T> {
  const giveUpAt = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
