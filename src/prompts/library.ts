// The compiled prompts of one config load, held in memory: which version a request gets (the one
// it names, else its route's A/B split, else the pinned one, else the highest) and rendering.
// A reload builds a new library; nothing here reads a file or a database per request.
import Mustache from 'mustache';
import type { PromptApiConfig } from '../config/schema-prompts.js';
import { didYouMean } from '../config/issues.js';
import { badRequest } from '../core/errors.js';
import type { Target } from '../core/runtime.js';
import type { ChatMessage } from '../core/types.js';
import type { RequestFacts } from '../routing/request-facts.js';
import { stickyKey, stickyPoint, type StickySpec } from '../routing/sticky.js';
import { split } from '../routing/strategy.js';
import type { CompiledPrompt } from './compile.js';

/** A route's prompt A/B test. */
export interface PromptSplit {
  route: string;
  prompt: string;
  versions: { version: number; percentage: number }[];
  sticky?: StickySpec;
}

/** Logic-less and no HTML escaping: strings go in as they are, other values as JSON. */
const RENDER_OPTIONS = { escape: (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value)) };

export class PromptLibrary {
  /** Published prompt APIs by path. */
  readonly apis: Map<string, PromptApiConfig>;

  constructor(
    private readonly byId: Map<string, Map<number, CompiledPrompt>>,
    private readonly pins: Record<string, number>,
    private readonly splits: Map<string, PromptSplit>,
    apis: PromptApiConfig[],
    /** Holds the templates parsed at load, so rendering never parses. */
    private readonly writer: Mustache.Writer,
  ) {
    this.apis = new Map(apis.map((api) => [api.path, api]));
  }

  get size(): number {
    let n = 0;
    for (const versions of this.byId.values()) n += versions.size;
    return n;
  }

  /** Every version of a prompt, or undefined for an unknown id. */
  versions(id: string): Map<number, CompiledPrompt> | undefined {
    return this.byId.get(id);
  }

  /** The version a request gets. `facts` is only computed when a sticky split needs it. */
  choose(id: string, version: number | undefined, target: Target, facts: () => RequestFacts): CompiledPrompt {
    const versions = this.byId.get(id);
    if (!versions) {
      const known = [...this.byId.keys()];
      throw badRequest(`Unknown prompt '${id}'${didYouMean(id, known)}`, 'prompt.id', 'prompt_not_found');
    }
    if (version !== undefined) {
      const prompt = versions.get(version);
      if (!prompt) {
        throw badRequest(`Prompt '${id}' has no version ${version}; its versions are ${[...versions.keys()].sort((a, b) => a - b).join(', ')}`, 'prompt.version', 'prompt_version_not_found');
      }
      return prompt;
    }
    const test = this.splitOf(id, target);
    if (test) return versions.get(pickVersion(test, facts))!;
    return versions.get(this.pins[id] ?? Math.max(...versions.keys()))!;
  }

  /**
   * The versions a request without a version may get through `target`: the split's, else the
   * pinned (or highest) one. A split's versions take the same variables (checked at load).
   */
  servedVersions(id: string, target: Target): CompiledPrompt[] {
    const versions = this.byId.get(id);
    if (!versions) return [];
    const test = this.splitOf(id, target);
    if (test) return test.versions.filter((v) => v.percentage > 0).map((v) => versions.get(v.version)!);
    return [versions.get(this.pins[id] ?? Math.max(...versions.keys()))!];
  }

  private splitOf(id: string, target: Target): PromptSplit | undefined {
    const test = target.kind === 'route' ? this.splits.get(target.name) : undefined;
    return test?.prompt === id ? test : undefined;
  }

  /** The prompt's messages with the variables filled in; messages that render empty are left out. */
  render(prompt: CompiledPrompt, values: Record<string, unknown>): ChatMessage[] {
    const messages: ChatMessage[] = [];
    for (const m of prompt.messages) {
      const content = this.writer.render(m.template, values, undefined, RENDER_OPTIONS);
      if (content.trim() !== '') messages.push({ role: m.role, content });
    }
    return messages;
  }
}

/**
 * A version by share. With a sticky key the same caller keeps its version; the point is salted
 * apart from the route's destination split, so the model canary and the prompt test are independent.
 */
function pickVersion(test: PromptSplit, facts: () => RequestFacts): number {
  const key = test.sticky ? stickyKey(test.sticky, facts()) : undefined;
  const point = key === undefined ? Math.random() * 100 : stickyPoint(`${test.route}\u0000prompt:${test.prompt}`, key);
  return split(test.versions.filter((v) => v.percentage > 0), point).version;
}

export const EMPTY_PROMPTS = new PromptLibrary(new Map(), {}, new Map(), [], new Mustache.Writer());
