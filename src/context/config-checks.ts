// Checks of the context config that span entries: a summariser names a chat endpoint or route, a
// retriever is declared, a template parses, retriever names are unique.
import type { Path } from '../config/issues.js';
import { checkTemplate } from './render.js';

interface Problem {
  path: Path;
  message: string;
}

interface LooseTarget {
  name?: unknown;
  endpoint_type?: unknown;
  task_type?: unknown;
  context?: { summariser?: unknown; retriever?: unknown; template?: unknown };
}

interface Loose {
  endpoints?: LooseTarget[];
  routes?: LooseTarget[];
  context?: { retrievers?: { name?: unknown }[] };
}

export function checkContextReferences(input: unknown): Problem[] {
  const config = (input ?? {}) as Loose;
  const list = <T>(v: unknown): T[] => (Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : []);
  const endpoints = list<LooseTarget>(config.endpoints);
  const routes = list<LooseTarget>(config.routes);
  const retrievers = list<{ name?: unknown }>(config.context?.retrievers);
  const problems: Problem[] = [];
  const retrieverNames = new Set<unknown>();
  retrievers.forEach((r, i) => {
    if (retrieverNames.has(r.name)) problems.push({ path: ['context', 'retrievers', i, 'name'], message: `retriever "${String(r.name)}" is declared twice` });
    retrieverNames.add(r.name);
  });
  const types = new Map<unknown, unknown>([...endpoints.map((e) => [e.name, e.endpoint_type] as const), ...routes.map((r) => [r.name, r.task_type] as const)]);
  const check = (section: 'endpoints' | 'routes', t: LooseTarget, i: number) => {
    const c = t.context;
    if (!c || typeof c !== 'object') return;
    const at = (key: string): Path => [section, i, 'context', key];
    if (typeof c.summariser === 'string') {
      const type = types.get(c.summariser);
      if (type === undefined) problems.push({ path: at('summariser'), message: `summariser "${c.summariser}" names no endpoint or route` });
      else if (type !== 'llm/v1/chat') problems.push({ path: at('summariser'), message: `summariser "${c.summariser}" must be a chat endpoint or route (it is ${String(type)})` });
    }
    if (typeof c.retriever === 'string' && !retrieverNames.has(c.retriever)) {
      problems.push({ path: at('retriever'), message: `retriever "${c.retriever}" is not declared in context.retrievers` });
    }
    if (typeof c.template === 'string') {
      const error = checkTemplate(c.template);
      if (error) problems.push({ path: at('template'), message: `the template does not parse: ${error}` });
    }
    const type = section === 'endpoints' ? t.endpoint_type : t.task_type;
    if (type !== undefined && type !== 'llm/v1/chat') problems.push({ path: [section, i, 'context'], message: 'context applies to chat endpoints and routes only' });
  };
  endpoints.forEach((e, i) => check('endpoints', e, i));
  routes.forEach((r, i) => check('routes', r, i));
  return problems;
}
