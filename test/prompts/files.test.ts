// Prompt files: both formats load and render; every problem in a prompt file or in the config's
// references to prompts is reported with its file and line, through the loader and `gatehouse validate`.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReports, validateFiles } from '../../src/cli/validate.js';
import { formatIssue } from '../../src/config/issues.js';
import { load, positionOf, tempDir } from '../helpers/config.js';
import { CLASSIFY_1, mockConfig, promptsDir, SUMMARIZE_1 } from './helpers.js';

describe('loading prompt files', () => {
  it('compiles YAML and Markdown files, with examples after the system messages', () => {
    const result = load(mockConfig(promptsDir()));
    expect(result.issues).toEqual([]);
    const library = result.prompts!;
    expect(library.size).toBe(3);
    const v2 = library.versions('summarize')!.get(2)!;
    expect(v2.parameters).toEqual({ temperature: 0.5 });
    expect(library.render(v2, { text: 'Grass is green.', sentences: 2 })).toEqual([
      { role: 'system', content: 'You write 2-sentence summaries.' },
      { role: 'user', content: 'v2: The sky is blue.' },
      { role: 'assistant', content: 'Blue sky.' },
      { role: 'user', content: 'v2: Grass is green.' },
    ]);
    const classify = library.versions('classify')!.get(1)!;
    expect(classify.variables.get('urgent')).toMatchObject({ type: 'boolean', required: false });
    expect(library.render(classify, { ticket: 'It broke <again> & "now"', labels: ['bug', 'question'], urgent: true })).toEqual([
      { role: 'system', content: 'Labels: bug question (urgent)' },
      // No HTML escaping: the text goes in as written.
      { role: 'user', content: 'It broke <again> & "now"' },
    ]);
  });

  it('reads no folder when the config uses no prompts', () => {
    const result = load('endpoints: []\n');
    expect(result.issues).toEqual([]);
    expect(result.prompts!.size).toBe(0);
  });
});

/** Loads a config over one prompt file and returns its issues, formatted. */
function issuesOf(name: string, text: string, extra = ''): { dir: string; issues: string[] } {
  const dir = tempDir({ [name]: text });
  return { dir, issues: load(mockConfig(dir, extra).replace('pins: { summarize: 1 }', 'pins: {}')).issues.map(formatIssue) };
}

describe('problems in a prompt file', () => {
  it('an unknown variable in a template, at its line', () => {
    const text = SUMMARIZE_1.replace('content: "v1: {{text}}"', 'content: |\n      First line\n      v1: {{txt}}');
    const { dir, issues } = issuesOf('summarize@1.yaml', text);
    const { line } = positionOf(text, '{{txt}}');
    expect(issues).toEqual([
      expect.stringMatching(/summarize@1\.yaml:6:3: variables\.text: variable "text" is declared but no message or example uses it$/),
      `${join(dir, 'summarize@1.yaml')}:${line}:1: messages[1].content: unknown variable "txt" (did you mean "text"?); declare it under variables (declared: text, sentences)`,
    ]);
  });

  it('a declared variable no template uses, a default of the wrong type, a mistyped key', () => {
    const text = SUMMARIZE_1.replace('default: 3', 'default: three').replace('  text:', '  unused: string\n  text:').replace('messages:', 'mesages: []\nmessages:');
    const { dir, issues } = issuesOf('summarize@1.yaml', text);
    const file = join(dir, 'summarize@1.yaml');
    expect(issues).toEqual([
      `${file}:${positionOf(text, 'mesages').line}:1: mesages: unknown key "mesages" (did you mean "messages"?)`,
    ]);
    const fixed = text.replace('mesages: []\n', '');
    const again = issuesOf('summarize@1.yaml', fixed).issues.map((i) => i.slice(i.indexOf('summarize@1.yaml')));
    expect(again).toEqual([
      `summarize@1.yaml:${positionOf(fixed, 'unused').line}:3: variables.unused: variable "unused" is declared but no message or example uses it`,
      `summarize@1.yaml:${positionOf(fixed, 'three').line}:${positionOf(fixed, 'three').column}: variables.sentences.default: the default must be of type integer`,
    ]);
  });

  it('a Markdown body: a template error and a field of a text variable, at their lines', () => {
    const text = `---\nvariables:\n  topic: string\n---\nsystem:\nBe brief.\n\nuser:\nTell me about {{topic}}.\nAnd {{topic.name}}, {{#topic}}open\n`;
    const { dir, issues } = issuesOf('about@1.md', text);
    expect(issues).toEqual([`${join(dir, 'about@1.md')}:10:1: messages[1].content: template error: Unclosed section "topic"`]);
    const closed = text.replace('open\n', 'open{{/topic}}\n');
    expect(issuesOf('about@1.md', closed).issues).toEqual([
      expect.stringMatching(/about@1\.md:10:1: messages\[1\]\.content: variable "topic" is of type string: it has no field "name"$/),
    ]);
  });

  it('a file name without a version, and an id that differs from the file name', () => {
    expect(issuesOf('summarize.yaml', SUMMARIZE_1).issues).toEqual([expect.stringMatching(/summarize\.yaml:1:1: \(file\): a prompt file is named <id>@<version>\.yaml/)]);
    const { issues } = issuesOf('summary@1.yaml', SUMMARIZE_1);
    expect(issues).toEqual([expect.stringMatching(/summary@1\.yaml:1:5: id: the id "summarize" differs from the file name's "summary"$/)]);
  });
});

describe("the config's references to prompts", () => {
  it('pins, APIs and version splits name prompts and versions that exist, at their config lines', () => {
    const dir = promptsDir();
    const yaml = mockConfig(
      dir,
      `  apis:
    - { path: /api/v1/embed-it, prompt: classify, target: embeddings }
    - { path: /v1/summarize, prompt: sumarize, target: chat }
`,
    )
      .replace('pins: { summarize: 1 }', 'pins: { summarize: 7 }')
      .replace('destinations: [{ name: chat, traffic_percentage: 100 }]', 'destinations: [{ name: chat, traffic_percentage: 100 }]\n    prompt: summarize\n    prompt_versions: [{ version: 1, traffic_percentage: 60 }, { version: 2, traffic_percentage: 30 }]');
    const issues = load(yaml).issues;
    const at = (needle: string) => `${positionOf(yaml, needle).line}:${positionOf(yaml, needle).column}`;
    expect(issues.map((i) => `${i.line}:${i.column}: ${i.path}: ${i.message}`)).toEqual([
      `${at('[{ version: 1')}: routes[0].prompt_versions: traffic_percentage values of the prompt versions sum to 90; they must sum to 100`,
      `${at('7 }')}: prompts.pins.summarize: prompt "summarize" has no version 7 (versions: 1, 2); add summarize@7.yaml or pick another`,
      `${at('embeddings }')}: prompts.apis[0].target: target "embeddings" serves llm/v1/embeddings; a prompt runs on a chat endpoint or route (llm/v1/chat)`,
      `${at('/v1/summarize')}: prompts.apis[1].path: path "/v1/summarize" is served by the gateway itself (/v1/); choose another path`,
      `${at('sumarize')}: prompts.apis[1].prompt: no prompt "sumarize" in the prompts folder (did you mean "summarize"?) (prompts: classify, summarize)`,
    ]);
  });

  it('refuses a split between versions that take different variables', () => {
    const dir = promptsDir({ 'summarize@1.yaml': SUMMARIZE_1, 'summarize@2.yaml': SUMMARIZE_1.replace('version: 1', 'version: 2').replace('default: 3', 'required: true') });
    const yaml = mockConfig(dir).replace(
      'destinations: [{ name: chat, traffic_percentage: 100 }]',
      'destinations: [{ name: chat, traffic_percentage: 100 }]\n    prompt: summarize\n    prompt_versions: [{ version: 1, traffic_percentage: 50 }, { version: 2, traffic_percentage: 50 }]',
    );
    expect(load(yaml).issues.map((i) => i.message)).toEqual([
      'summarize@2 and summarize@1 take different variables ("sentences" is an optional integer in summarize@1 and a required integer in summarize@2): a caller cannot know which version it gets, so the versions of a split take the same variables',
    ]);
  });

  it('a missing prompts folder', () => {
    const yaml = mockConfig('/nonexistent/prompts');
    expect(load(yaml).issues.map((i) => `${i.line}: ${i.path}: ${i.message}`)).toEqual([
      `${positionOf(yaml, '/nonexistent').line}: prompts.dir: cannot read the prompts folder /nonexistent/prompts (not found)`,
      expect.stringContaining('prompts.pins.summarize: no prompt "summarize" in the prompts folder'),
    ]);
  });
});

describe('gatehouse validate', () => {
  it('counts the prompts of a valid config', () => {
    const configDir = tempDir({ 'gatehouse.yaml': mockConfig(promptsDir()) });
    const file = join(configDir, 'gatehouse.yaml');
    expect(renderReports(validateFiles([file], {}), 'text')).toBe(`${file}: valid (3 endpoints, 1 route, 3 prompts)`);
  });

  it('reports prompt problems with file:line, also without the production secrets', () => {
    const prompts = tempDir({ 'classify@1.yaml': CLASSIFY_1.replace('{{ticket}}', '{{tikcet}}') });
    const configDir = tempDir({
      'gatehouse.yaml': `${mockConfig('../' + prompts.split('/').pop()!).replace('pins: { summarize: 1 }', 'pins: {}')}
  apis: [{ path: /api/v1/classify, prompt: classify, target: chat }]
`.replace('model: { provider: mock, name: mock-chat }', 'model: { provider: openai, name: gpt-4o, config: { openai_api_key: $NOT_SET_ANYWHERE } }'),
    });
    const file = join(configDir, 'gatehouse.yaml');
    const reports = validateFiles([file], {}, { requireEnv: false });
    const text = renderReports(reports, 'text');
    expect(reports[0].valid).toBe(false);
    expect(text).toContain(`${join(prompts, 'classify@1.yaml')}:${positionOf(CLASSIFY_1, '{{ticket}}').line}:1: messages[1].content: unknown variable "tikcet" (did you mean "ticket"?)`);
    expect(text).toContain('variables.ticket: variable "ticket" is declared but no message or example uses it');
  });
});
