// A prompt's typed input variables: checking the values a request gives (unknown, missing, wrong
// type), filling in defaults, and describing them as JSON Schema for the OpenAPI document.
import { badRequest } from '../core/errors.js';
import { didYouMean } from '../config/issues.js';
import type { VariableSpec, VariableType } from './file-schema.js';

export interface Variable extends VariableSpec {
  name: string;
  required: boolean;
}

/** Whether a value has the type; arrays also check their items' type. */
export function hasType(type: VariableType, value: unknown, items?: { type: VariableType }): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value) && (!items || value.every((item) => hasType(items.type, item)));
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
  }
}

/** Why a value does not fit the variable, or undefined when it does. */
export function misfit(variable: VariableSpec, value: unknown): string | undefined {
  if (!hasType(variable.type, value, variable.items)) {
    const what = variable.type === 'array' && variable.items ? `an array of ${variable.items.type} values` : `of type ${variable.type}`;
    return `must be ${what}`;
  }
  if (variable.enum && !variable.enum.includes(value as string)) return `must be one of ${variable.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  return undefined;
}

/**
 * The variables a template renders with: the given values, checked, plus defaults. `param` is where
 * the values sit in the request (e.g. "prompt.variables"), for the error's `param`; "" for a body of variables.
 */
export function bindVariables(key: string, variables: Map<string, Variable>, given: unknown, param: string): Record<string, unknown> {
  const at = (name: string) => (param ? `${param}.${name}` : name);
  if (given === undefined || given === null) given = {};
  if (typeof given !== 'object' || Array.isArray(given)) throw badRequest(`'${param || 'body'}' must be an object of the variables of prompt ${key}`, param || null);
  const values = given as Record<string, unknown>;
  const declared = [...variables.keys()];
  for (const name of Object.keys(values)) {
    if (!variables.has(name)) {
      const takes = declared.length ? `it takes ${declared.join(', ')}` : 'it takes no variables';
      throw badRequest(`Unknown variable '${name}' for prompt ${key}${didYouMean(name, declared)}; ${takes}`, at(name), 'unknown_prompt_variable');
    }
  }
  const bound: Record<string, unknown> = {};
  for (const variable of variables.values()) {
    const value = values[variable.name];
    if (value === undefined || value === null) {
      if (variable.default !== undefined) bound[variable.name] = variable.default;
      else if (variable.required) throw badRequest(`Missing variable '${variable.name}' of prompt ${key}`, at(variable.name), 'missing_prompt_variable');
      continue;
    }
    const problem = misfit(variable, value);
    if (problem) throw badRequest(`Variable '${variable.name}' of prompt ${key} ${problem}`, at(variable.name), 'invalid_prompt_variable');
    bound[variable.name] = value;
  }
  return bound;
}

/** The variables as a JSON Schema object (draft 2020-12, as OpenAPI 3.1 uses). */
export function variablesJsonSchema(variables: Map<string, Variable>): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const v of variables.values()) {
    properties[v.name] = {
      type: v.type,
      ...(v.items && { items: { type: v.items.type } }),
      ...(v.description !== undefined && { description: v.description }),
      ...(v.enum && { enum: v.enum }),
      ...(v.default !== undefined && { default: v.default }),
    };
  }
  const required = [...variables.values()].filter((v) => v.required && v.default === undefined).map((v) => v.name);
  return { type: 'object', properties, ...(required.length > 0 && { required }), additionalProperties: false };
}
