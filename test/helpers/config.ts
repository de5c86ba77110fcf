// Loading configs from strings and locating text in them, for loader tests that check positions.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ConfigIssue } from '../../src/config/issues.js';
import { loadConfigText, type LoadOptions, type LoadResult } from '../../src/config/load.js';

export const FILE = 'gatehouse.yaml';

/** Two mock endpoints and a route that splits between them. */
export const VALID = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }
  - name: chat-next
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-next }
routes:
  - name: assistant
    task_type: llm/v1/chat
    destinations:
      - { name: chat, traffic_percentage: 90 }
      - { name: chat-next, traffic_percentage: 10 }
`;

/** One openai endpoint whose `model.config` is the given YAML (a flow mapping, or a block indented by 8). */
export const openaiEndpoint = (config: string) => `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model:
      provider: openai
      name: gpt-4o-mini
      config: ${config}
`;

export function load(yaml: string, env: NodeJS.ProcessEnv = {}, options?: LoadOptions): LoadResult {
  return loadConfigText(yaml, FILE, env, options);
}

/** Line and column (1-based) where the nth occurrence of `needle` starts in `text`. */
export function positionOf(text: string, needle: string, nth = 1): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i < nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`"${needle}" occurs fewer than ${nth} times`);
  }
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** The one issue at a key path; fails the test when there is not exactly one. */
export function issueAt(result: LoadResult, path: string): ConfigIssue {
  const found = result.issues.filter((i) => i.path === path);
  expect(found, `issues at ${path} among:\n${result.issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`).toHaveLength(1);
  return found[0];
}

/** Asserts the issue at `path` is reported where `needle` (its nth occurrence) is written, with a message matching `message`. */
export function expectIssue(result: LoadResult, yaml: string, path: string, at: { needle: string; nth?: number }, message: RegExp): void {
  const issue = issueAt(result, path);
  expect({ line: issue.line, column: issue.column }).toEqual(positionOf(yaml, at.needle, at.nth));
  expect(issue.message).toMatch(message);
}

/** A fresh folder with the given files; returns its path. */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
