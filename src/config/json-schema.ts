// The JSON Schema `gatehouse config schema` prints for editors: the native schema plus the MLflow
// spellings normalize.ts accepts, so an MLflow file is not flagged while it is being typed.
import { configJsonSchema } from './schema.js';

interface Node {
  description?: string;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  oneOf?: Node[];
  anyOf?: Node[];
  allOf?: Node[];
  const?: unknown;
}

export function editorJsonSchema(): Record<string, unknown> {
  const schema = configJsonSchema() as Node;
  const lists = schema.properties!;
  const endpoint = lists.endpoints.items!;
  const route = lists.routes.items!;
  alias(endpoint, 'endpoint_type', 'route_type');
  alias(endpoint, 'path', 'endpoint');
  for (const model of endpoint.properties!.model.oneOf ?? []) alias(model, 'config', `${String(model.properties!.provider.const)}_config`);
  alias(route, 'task_type', 'route_type');
  alias(route, 'path', 'endpoint');
  // Registry models (endpoint_type mlflow-model) are written among the endpoints, or the routes in the article form.
  const modelEndpoint = lists.model_endpoints.items!;
  alias(modelEndpoint, 'endpoint_type', 'route_type');
  alias(modelEndpoint, 'path', 'endpoint');
  lists.endpoints.items = { description: 'An endpoint: a provider model (llm/v1/*) or a registry model (mlflow-model).', anyOf: [endpoint, modelEndpoint] };
  lists.routes.items = {
    description: 'A traffic route, or an endpoint written under `routes:` as MLflow 2.5-2.8 and its articles do (an entry with `model` and no `destinations`).',
    anyOf: [route, endpoint, modelEndpoint],
  };
  return schema as Record<string, unknown>;
}

/** Lets `other` stand for `key`: the same schema, and exactly one of the two where `key` is required. */
function alias(node: Node, key: string, other: string): void {
  const original = node.properties![key];
  node.properties![other] = { ...original, description: `MLflow's spelling of \`${key}\`. ${original.description ?? ''}`.trim() };
  if (node.required?.includes(key)) {
    node.required = node.required.filter((k) => k !== key);
    node.allOf = [...(node.allOf ?? []), { oneOf: [{ required: [key] }, { required: [other] }] }];
  }
}
