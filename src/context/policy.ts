// The runtime form of an endpoint's or route's `context:` key: its summariser and retriever
// resolved, its template chosen. Built once per config load (src/core/runtime.ts).
import type { Target } from '../core/runtime.js';
import type { ContextSection, RetrieverConfig, TargetContext } from './config.js';
import { DEFAULT_TEMPLATE } from './render.js';

export interface ContextPolicy {
  config: TargetContext;
  template: string;
  retriever?: RetrieverConfig;
  summariser?: Target;
}

/** References were checked with the config (config-checks.ts), so they resolve here. */
export function compileContextPolicy(config: TargetContext, section: ContextSection, targets: Map<string, Target>): ContextPolicy {
  return {
    config,
    template: config.template ?? DEFAULT_TEMPLATE,
    retriever: config.retriever === undefined ? undefined : section.retrievers.find((r) => r.name === config.retriever),
    summariser: config.summariser === undefined ? undefined : targets.get(config.summariser),
  };
}
