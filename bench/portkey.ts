// Installs Portkey's open-source gateway (npm @portkey-ai/gateway) into bench/.scratch/portkey-<version>, so
// the comparison runs the same published package a user gets from `npx @portkey-ai/gateway`, in the
// same bench run and against the same mock. Nothing here touches the project's own dependencies.
//
// One pin besides the gateway itself: @hono/node-server 1.13.8. Portkey's package accepts any
// @hono/node-server ^1.3.3, and npm picks 1.19.x, whose lightweight Response keeps a fetch
// Response's immutable Headers; Portkey then fails every streamed chat completion and every
// embeddings call on Node with `TypeError: immutable` (HTTP 500), see Portkey-AI/gateway issues
// #1389 and #1550. 1.13.x copies the headers, which is what Portkey's code expects. This is the
// workaround from those issues; without it the Portkey columns would only show failures.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const HONO_NODE_SERVER_PIN = '1.13.8';

export interface PortkeyInstall {
  ok: boolean;
  version?: string;
  /** Absolute path of the gateway's Node entry point (build/start-server.js). */
  entry?: string;
  /** Why the install failed, when it did. */
  error?: string;
  /** Whether an existing install was reused. */
  cached?: boolean;
  installMs?: number;
}

function installedVersion(dir: string, pkg: string): string | null {
  const file = path.join(dir, 'node_modules', pkg, 'package.json');
  if (!existsSync(file)) return null;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

function runNpm(args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { cwd, env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (data: Buffer) => {
      output = (output + data.toString('utf8')).slice(-8000); // bounded: only the tail matters
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      output += `\n(npm timed out after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}\n${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export async function installPortkey(scratchDir: string, version: string, timeoutMs = 180_000): Promise<PortkeyInstall> {
  // One folder per version, so trying another version never breaks the cached install.
  const dir = path.join(scratchDir, `portkey-${version.replace(/[^\w.-]/g, '_')}`);
  const entry = path.join(dir, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  if (
    installedVersion(dir, '@portkey-ai/gateway') === version &&
    installedVersion(dir, '@hono/node-server') === HONO_NODE_SERVER_PIN &&
    existsSync(entry)
  ) {
    return { ok: true, version, entry, cached: true, installMs: 0 };
  }
  mkdirSync(dir, { recursive: true });
  // A private manifest in the scratch folder: it holds the pins (overrides need a manifest) and
  // stops npm from walking up into the project's own package.json.
  writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: 'gatehouse-bench-portkey',
        private: true,
        description: 'Scratch install of Portkey for `npm run bench`; safe to delete.',
        dependencies: { '@portkey-ai/gateway': version },
        overrides: { '@hono/node-server': HONO_NODE_SERVER_PIN },
      },
      null,
      2,
    )}\n`,
  );
  const started = performance.now();
  // --ignore-scripts: the package's only install script is patch-package, which has no patches to
  // apply in the published tarball; skipping it keeps the install the same under every npm version.
  const { code, output } = await runNpm(
    ['install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
    dir,
    timeoutMs,
  );
  const installMs = performance.now() - started;
  if (code !== 0 || !existsSync(entry)) {
    const tail = output.trim().split('\n').slice(-6).join(' | ');
    return { ok: false, error: `npm install @portkey-ai/gateway@${version} failed (exit ${code}): ${tail}`, installMs };
  }
  return { ok: true, version: installedVersion(dir, '@portkey-ai/gateway') ?? version, entry, cached: false, installMs };
}
