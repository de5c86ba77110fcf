// The JSON Schema editors validate config files with: every key described, the example config and
// MLflow's forms accepted, typos flagged. Checked with Ajv, the validator many editors and tools use.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { editorJsonSchema } from '../src/config/json-schema.js';
import { ROOT } from './helpers/cli.js';

interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
  $defs?: Record<string, SchemaNode>;
}

/** Every property in a JSON Schema, through lists, maps, unions and definitions. */
function walkProperties(node: SchemaNode, at: string, visit: (path: string, property: SchemaNode) => void): void {
  for (const [key, property] of Object.entries(node.properties ?? {})) {
    const path = `${at}${at ? '.' : ''}${key}`;
    visit(path, property);
    walkProperties(property, path, visit);
  }
  if (node.items) walkProperties(node.items, `${at}[]`, visit);
  if (typeof node.additionalProperties === 'object') walkProperties(node.additionalProperties, `${at}{}`, visit);
  for (const branch of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) walkProperties(branch, at, visit);
  for (const [name, definition] of Object.entries(node.$defs ?? {})) walkProperties(definition, `#${name}`, visit);
}

const schema = editorJsonSchema() as SchemaNode;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
const validate = ajv.compile(schema);
const check = (yaml: string) => (validate(parse(yaml)) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

describe('the editor JSON Schema', () => {
  it('describes every key', () => {
    const paths: string[] = [];
    const undescribed: string[] = [];
    walkProperties(schema, '', (path, property) => {
      paths.push(path);
      if (!property.description?.trim()) undescribed.push(path);
    });
    expect(paths).toEqual(expect.arrayContaining(['server.port', 'endpoints[].model.config.openai_api_key', 'endpoints[].limit.renewal_period', 'routes[].route_type', 'endpoints[].model.openai_config']));
    expect(undescribed).toEqual([]);
  });

  it('accepts the example config', () => {
    expect(check(readFileSync(join(ROOT, 'examples/gatehouse.yaml'), 'utf8'))).toEqual([]);
  });

  it("accepts MLflow's forms: route_type, endpoint paths, <provider>_config, endpoints under routes", () => {
    const yaml = `
endpoints:
  - name: chat
    route_type: llm/v1/chat
    model: { provider: openai, name: gpt-4o-mini, config: { openai_api_key: $OPENAI_API_KEY } }
    limit: { renewal_period: minutes, calls: 10, key: null }
routes:
  - name: summarize
    route_type: llm/v1/completions
    endpoint: /api/v1/summarize
    model: { provider: openai, name: gpt-4o-mini, openai_config: { openai_api_key: $OPENAI_API_KEY } }
  - name: split
    task_type: llm/v1/chat
    destinations: [{ name: chat, traffic_percentage: 100 }]
`;
    expect(check(yaml)).toEqual([]);
  });

  it('flags a misspelled key and a missing type', () => {
    const errors = check('endpoints:\n  - name: chat\n    endpoint_typ: llm/v1/chat\n    model: { provider: mock, name: m }\n');
    expect(errors).toContain('/endpoints/0 must NOT have additional properties');
    expect(errors).toContain("/endpoints/0 must have required property 'endpoint_type'");
  });
});
