// Structured outputs: an answer to a request with response_format json_schema must parse and match
// the request's schema; json_object must parse to an object. Schemas are compiled once and kept in a
// small bounded cache, since clients send the same schema with every request.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { ChatRequest } from '../../core/types.js';

const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
const CACHE_SIZE = 100;
const cache = new Map<string, ValidateFunction | Error>();

/** What is wrong with an answer: a code for events and a message for the client (no answer values in either). */
export interface StructureProblem {
  code: 'not_json' | 'not_object' | 'schema_mismatch' | 'unusable_schema';
  message: string;
}

/** Checks one answer: undefined when it conforms. */
export type StructureCheck = (text: string) => StructureProblem | undefined;

function compile(schema: unknown): ValidateFunction | Error {
  const key = JSON.stringify(schema);
  let compiled = cache.get(key);
  if (!compiled) {
    try {
      compiled = ajv.compile(schema as object);
    } catch (err) {
      compiled = err as Error;
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, compiled);
  }
  return compiled;
}

/** The check the request's response_format asks for, or undefined when it asks for none. */
export function structureCheckFor(request: ChatRequest): StructureCheck | undefined {
  const format = request.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | undefined;
  if (format?.type === 'json_object') return (text) => (isObject(parse(text)) ? undefined : { code: 'not_object', message: 'the answer is not a JSON object' });
  if (format?.type !== 'json_schema' || typeof format.json_schema?.schema !== 'object') return undefined;
  const validate = compile(format.json_schema.schema);
  return (text) => {
    if (validate instanceof Error) return { code: 'unusable_schema', message: `the request's JSON schema cannot be used: ${validate.message}` };
    const value = parse(text);
    if (value === NOT_JSON) return { code: 'not_json', message: 'the answer is not JSON' };
    if (validate(value)) return undefined;
    const error = validate.errors?.[0];
    return { code: 'schema_mismatch', message: `the answer does not match the JSON schema: ${error ? `${error.instancePath || '(root)'} ${error.message}` : 'invalid'}` };
  };
}

const NOT_JSON = Symbol('not JSON');

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
