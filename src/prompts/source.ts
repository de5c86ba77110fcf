// Reading one prompt file into plain data that can point back at its lines: YAML as it is, Markdown
// as YAML front matter plus a body whose `system:`/`user:`/`assistant:` lines start the messages.
// The file's name says which prompt and version it holds: <id>@<version>.yaml, .yml or .md.
import type { ConfigIssue, Path } from '../config/issues.js';
import { PROMPT_ID } from '../config/schema-prompts.js';
import { parseYaml, type Position } from '../config/yaml-source.js';

export const PROMPT_FILE = /^(.+)@([0-9]+)\.(ya?ml|md)$/;
const ROLE_LINE = /^(system|developer|user|assistant):\s*$/i;

export interface PromptSource {
  file: string;
  id: string;
  version: number;
  /** The file's data (Markdown: the front matter, with the body's messages under `messages`); undefined when unreadable. */
  value: unknown;
  /** Where the value at a path is written (with onKey: its key). */
  locate(path: Path, onKey?: boolean): Position;
  /** The file line of a character offset inside the template at `path` (a message's content). */
  templateLine(path: Path, offset: number): number;
  /** Problems found while reading (name, syntax). */
  issues: ConfigIssue[];
}

export function readPromptSource(file: string, name: string, text: string): PromptSource {
  const issues: ConfigIssue[] = [];
  const issue = (line: number, path: string, message: string) => issues.push({ file, line, column: 1, path, message });
  const match = PROMPT_FILE.exec(name);
  const id = match?.[1] ?? name;
  const version = Number(match?.[2] ?? 0);
  if (!match || !PROMPT_ID.test(id) || version < 1) {
    issue(1, '(file)', 'a prompt file is named <id>@<version>.yaml, .yml or .md, e.g. summarize@2.yaml (ids use letters, digits, ".", "_" and "-"; versions start at 1)');
  }
  const base = { file, id, version, issues };
  return match?.[3] === 'md' ? readMarkdown(base, text, issue) : readYaml(base, text, 0, issue);
}

type Base = Pick<PromptSource, 'file' | 'id' | 'version' | 'issues'>;
type AddIssue = (line: number, path: string, message: string) => void;

/** `lineOffset`: file lines before the YAML text (Markdown front matter starts on line 2). */
function readYaml(base: Base, text: string, lineOffset: number, issue: AddIssue): PromptSource {
  const source = parseYaml(text);
  for (const e of source.errors) issue(e.position.line + lineOffset, '(yaml)', e.message);
  const lines = text.split('\n');
  const locate = (path: Path, onKey = false): Position => {
    const at = source.locate(path, onKey);
    return { line: at.line + lineOffset, column: at.column };
  };
  const templateLine = (path: Path, offset: number) => {
    const at = source.locate(path);
    // A block scalar (| or >) starts on the line after its indicator.
    const block = /^[|>]/.test(lines[at.line - 1]?.slice(at.column - 1) ?? '') ? 1 : 0;
    return at.line + lineOffset + block + newlinesBefore(valueAt(source.value, path), offset);
  };
  return { ...base, value: source.value ?? {}, locate, templateLine };
}

function readMarkdown(base: Base, text: string, issue: AddIssue): PromptSource {
  const lines = text.split(/\r?\n/);
  let bodyStart = 0;
  let front: PromptSource | undefined;
  if (lines[0]?.trim() === '---') {
    const close = lines.findIndex((line, i) => i > 0 && line.trim() === '---');
    if (close < 0) issue(1, '(front matter)', 'the front matter opened on line 1 is not closed with a "---" line');
    else {
      front = readYaml(base, lines.slice(1, close).join('\n'), 1, issue);
      bodyStart = close + 1;
    }
  }
  const value = (front?.value && typeof front.value === 'object' ? { ...front.value } : {}) as Record<string, unknown>;
  const { messages, lines: messageLines } = bodyMessages(lines, bodyStart, issue);
  const fromBody = messages.length > 0;
  if (fromBody) {
    if (value.messages !== undefined) issue(bodyStart + 1, '(body)', 'the messages are either in the front matter or in the body, not both');
    else value.messages = messages;
  }
  const onBody = (path: Path) => fromBody && path[0] === 'messages' && typeof path[1] === 'number';
  const locate = (path: Path, onKey = false): Position => {
    if (onBody(path)) return { line: messageLines[path[1] as number], column: 1 };
    return front ? front.locate(path, onKey) : { line: 1, column: 1 };
  };
  const templateLine = (path: Path, offset: number) => {
    if (onBody(path)) return messageLines[path[1] as number] + newlinesBefore(valueAt(value, path), offset);
    return front ? front.templateLine(path, offset) : 1;
  };
  return { ...base, value, locate, templateLine };
}

/** The body's messages: a role line starts each; a body without role lines is one user message. */
function bodyMessages(lines: string[], start: number, issue: AddIssue): { messages: { role: string; content: string }[]; lines: number[] } {
  const messages: { role: string; content: string }[] = [];
  const starts: number[] = [];
  let current: { role: string; from: number; to: number } | undefined;
  const close = () => {
    if (!current) return;
    let { from, to } = current;
    while (from < to && lines[from].trim() === '') from++;
    while (to > from && lines[to - 1].trim() === '') to--;
    messages.push({ role: current.role, content: lines.slice(from, to).join('\n') });
    starts.push(from + 1);
  };
  for (let i = start; i < lines.length; i++) {
    const role = ROLE_LINE.exec(lines[i]);
    if (role) {
      close();
      current = { role: role[1].toLowerCase(), from: i + 1, to: i + 1 };
    } else if (current) current.to = i + 1;
    else if (lines[i].trim() !== '') {
      // Text before any role line: the whole body is one user message, unless role lines follow.
      if (lines.slice(i).some((line) => ROLE_LINE.test(line))) {
        issue(i + 1, '(body)', 'text before the first role line; start the body with "system:", "user:" or "assistant:" on its own line');
        return { messages: [], lines: [] };
      }
      current = { role: 'user', from: i, to: lines.length };
      break;
    }
  }
  close();
  return { messages, lines: starts };
}

function valueAt(value: unknown, path: Path): unknown {
  let node = value;
  for (const key of path) node = (node as Record<string | number, unknown> | undefined)?.[key];
  return node;
}

function newlinesBefore(text: unknown, offset: number): number {
  if (typeof text !== 'string') return 0;
  let n = 0;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
