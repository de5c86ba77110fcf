// Gemini takes tool parameters and response schemas as its `Schema` object: a subset of OpenAPI 3.0,
// not full JSON Schema. Keywords outside that subset (additionalProperties, $schema, $ref, oneOf,
// const, type lists, ...) make Gemini answer 400, so schemas are rewritten into the subset here.

/** The keywords of Gemini's Schema object (Google AI and Vertex AI). Everything else is dropped. */
const KEPT = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'items',
  'properties',
  'required',
  'anyOf',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'default',
  'example',
  'propertyOrdering',
]);

/** String and number formats Gemini accepts; others (uuid, email, uri, ...) are refused by it. */
const FORMATS = new Set(['enum', 'date-time', 'int32', 'int64', 'float', 'double']);

/** Deep enough for any real tool schema; deeper parts become a plain object. */
const MAX_DEPTH = 32;

type Json = Record<string, unknown>;

/** Rewrites a JSON Schema into Gemini's Schema subset. Local `$ref`s (#/$defs/…, #/definitions/…) are inlined. */
export function toGeminiSchema(schema: unknown): Json {
  const root = isObject(schema) ? schema : {};
  const defs = { ...(isObject(root.definitions) ? root.definitions : {}), ...(isObject(root.$defs) ? root.$defs : {}) };
  return convert(root, { defs, refs: [] }, 0);
}

interface Scope {
  defs: Json;
  /** The $refs being inlined on the way down to this schema: meeting one again is recursion. */
  refs: string[];
}

function convert(input: Json, scope: Scope, depth: number): Json {
  // Gemini's schemas cannot refer to themselves, so a recursive type stops at its first repetition.
  if (depth > MAX_DEPTH || (typeof input.$ref === 'string' && scope.refs.includes(input.$ref))) return { type: 'object' };
  if (typeof input.$ref === 'string') scope = { ...scope, refs: [...scope.refs, input.$ref] };
  const schema = resolveRef(input, scope.defs);
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    // Sub-schemas are converted below; only the keyword's own value is copied here.
    if (KEPT.has(key) && key !== 'properties' && key !== 'items' && key !== 'anyOf') out[key] = value;
  }
  applyType(schema, out);
  if (schema.const !== undefined && out.enum === undefined) out.enum = [schema.const];
  // Gemini's enums are lists of strings.
  if (Array.isArray(out.enum)) out.enum = out.enum.filter((v) => v !== null).map(String);
  if (typeof out.format === 'string' && !FORMATS.has(out.format)) delete out.format;

  if (isObject(schema.properties)) {
    const properties: Json = {};
    for (const [name, value] of Object.entries(schema.properties)) properties[name] = convert(asObject(value), scope, depth + 1);
    // Gemini refuses an empty `properties` ("should be non-empty for OBJECT type").
    if (Object.keys(properties).length > 0) out.properties = properties;
  }
  if (schema.items !== undefined) out.items = convert(asObject(Array.isArray(schema.items) ? schema.items[0] : schema.items), scope, depth + 1);
  const alternatives = [schema.anyOf, schema.oneOf].find(Array.isArray);
  if (alternatives) applyAlternatives(alternatives.map((s) => convert(asObject(s), scope, depth + 1)), out);
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    // An intersection is flattened into one schema: later parts' keywords win, properties are merged.
    for (const part of schema.allOf.map((s) => convert(asObject(s), scope, depth + 1))) mergeInto(out, part);
  }
  return out;
}

/** JSON Schema's `type: ["string", "null"]` is OpenAPI's `type: string, nullable: true`; several real types become anyOf. */
function applyType(schema: Json, out: Json): void {
  if (!Array.isArray(schema.type)) return;
  const types = schema.type.filter((t) => t !== 'null');
  if (types.length < schema.type.length) out.nullable = true;
  if (types.length === 1) out.type = types[0];
  else {
    delete out.type;
    if (types.length > 1) out.anyOf = types.map((type) => ({ type }));
  }
}

/** A `{type: "null"}` alternative is expressed as `nullable`; a single remaining alternative is inlined. */
function applyAlternatives(alternatives: Json[], out: Json): void {
  const real = alternatives.filter((s) => s.type !== 'null');
  if (real.length < alternatives.length) out.nullable = true;
  if (real.length === 1) mergeInto(out, real[0]);
  else if (real.length > 1) out.anyOf = real;
}

function mergeInto(out: Json, part: Json): void {
  const properties = isObject(out.properties) && isObject(part.properties) ? { ...out.properties, ...part.properties } : undefined;
  const required = Array.isArray(out.required) && Array.isArray(part.required) ? [...new Set([...out.required, ...part.required])] : undefined;
  Object.assign(out, part);
  if (properties) out.properties = properties;
  if (required) out.required = required;
}

function resolveRef(schema: Json, defs: Json): Json {
  if (typeof schema.$ref !== 'string') return schema;
  const match = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(schema.$ref);
  const target = match ? defs[decodeURIComponent(match[1])] : undefined;
  // Keywords written beside the $ref (a description, say) refine the referenced schema.
  const { $ref: _ref, ...rest } = schema;
  return isObject(target) ? { ...target, ...rest } : rest;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown): Json {
  return isObject(value) ? value : {};
}
