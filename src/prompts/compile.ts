// Compiling one prompt file: its schema, its id and version against the file name, the types of its
// variables' defaults, and its templates, whose every variable must be declared (and every declared
// variable used). A file with problems gives located issues and no prompt.
import Mustache from 'mustache';
import { z } from 'zod';
import { didYouMean, formatPath, type ConfigIssue, type Path } from '../config/issues.js';
import { describeZodIssue } from '../config/zod-issues.js';
import { PromptFileSchema, type PromptFile, type PromptParameters, type PromptRole } from './file-schema.js';
import type { PromptSource } from './source.js';
import { hasType, misfit, type Variable } from './variables.js';

export interface CompiledPrompt {
  id: string;
  version: number;
  /** id@version, as logged and returned in x-gatehouse-prompt. */
  key: string;
  file: string;
  description?: string;
  parameters: PromptParameters;
  variables: Map<string, Variable>;
  /** System messages, then the few-shot examples as user/assistant turns, then the other messages. */
  messages: { role: PromptRole; template: string }[];
}

let fileJsonSchema: object | undefined;
const promptFileJsonSchema = () => (fileJsonSchema ??= z.toJSONSchema(PromptFileSchema, { io: 'input', unrepresentable: 'any' }));

/** `writer` parses (and caches) the templates; the same writer renders them later. */
export function compilePrompt(source: PromptSource, writer: Mustache.Writer): { prompt?: CompiledPrompt; issues: ConfigIssue[] } {
  const issues = [...source.issues];
  const add = (path: Path, message: string, onKey = false) => issues.push({ file: source.file, ...source.locate(path, onKey), path: formatPath(path), message });
  if (issues.length > 0) return { issues };
  const parsed = PromptFileSchema.safeParse(source.value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) for (const d of describeZodIssue(issue, source.value, promptFileJsonSchema)) add(d.path, d.message, d.onKey);
    return { issues };
  }
  const file = parsed.data;
  if (file.id !== undefined && file.id !== source.id) add(['id'], `the id "${file.id}" differs from the file name's "${source.id}"`);
  if (file.version !== undefined && file.version !== source.version) add(['version'], `the version ${file.version} differs from the file name's ${source.version}`);
  const variables = checkVariables(file, add);
  const used = new Set<string>();
  const addAt = (offset: number, path: Path, message: string) =>
    issues.push({ file: source.file, line: source.templateLine(path, offset), column: 1, path: formatPath(path), message });
  let readable = true;
  for (const { path, template } of templates(file)) readable = checkTemplate(template, path, variables, used, writer, addAt) && readable;
  // A template that does not parse uses unknown variables: "declared but unused" would mislead then.
  for (const name of readable ? variables.keys() : []) {
    if (!used.has(name)) add(['variables', name], `variable "${name}" is declared but no message or example uses it`, true);
  }
  if (issues.length > 0) return { issues };
  return {
    issues,
    prompt: {
      id: source.id,
      version: source.version,
      key: `${source.id}@${source.version}`,
      file: source.file,
      description: file.description,
      parameters: file.parameters ?? {},
      variables,
      messages: arrange(file),
    },
  };
}

function checkVariables(file: PromptFile, add: (path: Path, message: string) => void): Map<string, Variable> {
  const variables = new Map<string, Variable>();
  for (const [name, spec] of Object.entries(file.variables)) {
    const variable: Variable = { ...spec, name, required: ('required' in spec ? spec.required : undefined) ?? !('default' in spec && spec.default !== undefined) };
    const bad = variable.enum?.findIndex((v) => !hasType(variable.type, v)) ?? -1;
    if (bad >= 0) add(['variables', name, 'enum', bad], `${JSON.stringify(variable.enum![bad])} is not of type ${variable.type}`);
    if (variable.items && variable.type !== 'array') add(['variables', name, 'items'], 'items applies to variables of type array only');
    const problem = variable.default === undefined ? undefined : misfit(variable, variable.default);
    if (problem) add(['variables', name, 'default'], `the default ${problem}`);
    variables.set(name, variable);
  }
  return variables;
}

function* templates(file: PromptFile): Generator<{ path: Path; template: string }> {
  for (const [i, m] of file.messages.entries()) yield { path: ['messages', i, 'content'], template: m.content };
  for (const [j, e] of file.examples.entries()) {
    yield { path: ['examples', j, 'user'], template: e.user };
    yield { path: ['examples', j, 'assistant'], template: e.assistant };
  }
}

const SCALARS = new Set(['string', 'number', 'integer', 'boolean']);

/** Mustache token: [type, value, start, end, children?, ...]. */
type Token = [string, string, number, number, Token[]?];

function checkTemplate(
  template: string,
  path: Path,
  variables: Map<string, Variable>,
  used: Set<string>,
  writer: Mustache.Writer,
  addAt: (offset: number, path: Path, message: string) => void,
): boolean {
  const at = (offset: number, message: string) => addAt(offset, path, message);
  let tokens: Token[];
  try {
    tokens = writer.parse(template) as unknown as Token[];
  } catch (err) {
    // Mustache ends its messages with the character offset; the issue gives the line instead.
    const [message, offset] = (err as Error).message.split(/ at (?=\d+$)/);
    at(Number(offset ?? 0), `template error: ${message}`);
    return false;
  }
  // Inside a section over an array or object, other names may be the items' fields: they are not checked.
  const walk = (list: Token[], depth: number, open: boolean) => {
    for (const [type, value, start, , children] of list) {
      if (type === '>') at(start, `partials ({{> ${value}}}) are not supported; put the text in the prompt`);
      if (!['name', '&', '#', '^'].includes(type)) continue;
      const root = value.split('.')[0];
      const variable = variables.get(root);
      if (value === '.') {
        if (depth === 0) at(start, '{{.}} means the current item and only has a meaning inside a section such as {{#list}}…{{/list}}');
      } else if (variable) {
        used.add(root);
        if (value.includes('.') && SCALARS.has(variable.type)) at(start, `variable "${root}" is of type ${variable.type}: it has no field "${value.slice(root.length + 1)}"`);
      } else if (!open) {
        const declared = [...variables.keys()];
        at(start, `unknown variable "${root}"${didYouMean(root, declared)}; declare it under variables${declared.length ? ` (declared: ${declared.join(', ')})` : ''}`);
      }
      if (children) walk(children, depth + 1, open || (type === '#' && (variable?.type === 'array' || variable?.type === 'object')));
    }
  };
  walk(tokens, 0, false);
  return true;
}

/** Few-shot examples go after the leading system (and developer) messages, before the conversation. */
function arrange(file: PromptFile): CompiledPrompt['messages'] {
  const messages = file.messages.map((m) => ({ role: m.role, template: m.content }));
  const lead = messages.findIndex((m) => m.role !== 'system' && m.role !== 'developer');
  const split = lead < 0 ? messages.length : lead;
  const examples = file.examples.flatMap((e) => [
    { role: 'user' as const, template: e.user },
    { role: 'assistant' as const, template: e.assistant },
  ]);
  return [...messages.slice(0, split), ...examples, ...messages.slice(split)];
}
