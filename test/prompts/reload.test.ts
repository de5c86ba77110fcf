// Hot reload of prompts: the prompts folder is watched like the config file. A changed prompt is
// served after the reload; a bad prompt file is refused with its file and line, and the running
// prompts stay.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/cli.js';
import { positionOf } from '../helpers/config.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { postJson } from '../helpers/http.js';
import { CLASSIFY_1, mockConfig, promptsDir, SUMMARIZE_1 } from './helpers.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

async function answer(url: string, text = 'Hi'): Promise<string> {
  const res = await postJson(`${url}/v1/chat/completions`, { model: 'chat', prompt: { id: 'summarize', variables: { text } } });
  const body = await res.json();
  return res.status === 200 ? body.choices[0].message.content : body.error.message;
}

describe('a watched prompts folder', () => {
  it('serves a changed prompt without a restart', async () => {
    const dir = promptsDir({ 'summarize@1.yaml': SUMMARIZE_1 });
    gw = await startGateway(mockConfig(dir), { watch: true });
    const url = gw.url;
    expect(await answer(url)).toBe('This is a mock response to: v1: Hi');
    writeFileSync(join(dir, 'summarize@1.yaml'), SUMMARIZE_1.replace('v1: {{text}}', 'changed: {{text}}'));
    await eventually(async () => ((await answer(url)) === 'This is a mock response to: changed: Hi' ? true : undefined), 'the changed prompt');
    expect(gw.logs).toContainEqual(expect.objectContaining({ msg: 'config reloaded', trigger: 'prompt change', prompts: 1 }));
  });

  it('refuses a bad prompt file, logs it with file:line, and keeps the running prompts', async () => {
    const dir = promptsDir({ 'summarize@1.yaml': SUMMARIZE_1 });
    gw = await startGateway(mockConfig(dir), { watch: true });
    const bad = CLASSIFY_1.replace('{{ticket}}', '{{tickt}}');
    writeFileSync(join(dir, 'classify@1.yaml'), bad);
    const logs = gw.logs;
    const refusal = await eventually(() => logs.find((l) => String(l.msg).startsWith('config reload refused')), 'the refusal');
    const file = join(dir, 'classify@1.yaml');
    expect(refusal).toMatchObject({ level: 50, trigger: 'prompt change' });
    expect(refusal.issues).toContain(`${file}:${positionOf(bad, '{{tickt}}').line}:1: messages[1].content: unknown variable "tickt" (did you mean "ticket"?); declare it under variables (declared: ticket, labels, urgent)`);
    expect(await answer(gw.url)).toBe('This is a mock response to: v1: Hi');
    expect(gw.gateway.state.current.prompts.versions('classify')).toBeUndefined();

    // Removing the bad file makes the folder valid again.
    rmSync(file);
    const url = gw.url;
    await eventually(() => logs.find((l) => l.msg === 'config reloaded' && l.trigger === 'prompt change'), 'the reload');
    expect(await answer(url)).toBe('This is a mock response to: v1: Hi');
  });

  it('follows the config to another prompts folder', async () => {
    const first = promptsDir({ 'summarize@1.yaml': SUMMARIZE_1 });
    const second = promptsDir({ 'summarize@1.yaml': SUMMARIZE_1.replace('v1: {{text}}', 'second: {{text}}') });
    gw = await startGateway(mockConfig(first), { watch: true });
    gw.writeConfig(mockConfig(second));
    const url = gw.url;
    await eventually(async () => ((await answer(url)) === 'This is a mock response to: second: Hi' ? true : undefined), 'the new folder');
    // The new folder is watched now.
    writeFileSync(join(second, 'summarize@1.yaml'), SUMMARIZE_1.replace('v1: {{text}}', 'third: {{text}}'));
    await eventually(async () => ((await answer(url)) === 'This is a mock response to: third: Hi' ? true : undefined), 'the change in the new folder');
  });
});
