// The schema of one prompt file (YAML, or the front matter of a Markdown file): what the prompt is,
// the model parameters it runs with, its typed input variables, its messages and few-shot examples.
import { z } from 'zod';
import { PROMPT_ID } from '../config/schema-prompts.js';

export const VARIABLE_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const variableType = z.enum(VARIABLE_TYPES).meta({ description: 'string, number, integer, boolean, array or object.' });
const scalar = z.union([z.string(), z.number(), z.boolean()]);

const VariableObjectSchema = z.strictObject({
  type: variableType.default('string'),
  description: z.string().optional().meta({ description: 'What the variable holds (shown in the OpenAPI document).' }),
  required: z.boolean().optional().meta({ description: 'Whether a request must give it. Default: true, unless it has a default.' }),
  default: z.unknown().optional().meta({ description: 'The value used when a request leaves it out.' }),
  enum: z.array(scalar).min(1).optional().meta({ description: 'The only values allowed.' }),
  items: z.strictObject({ type: variableType }).optional().meta({ description: 'arrays: the type of every item.' }),
});

/** `text: string` is short for `text: {type: string}`. */
const VariableSchema = z.union([variableType.transform((type) => ({ type })), VariableObjectSchema]);

export const ParametersSchema = z
  .strictObject({
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    max_tokens: z.int().positive().optional(),
    max_completion_tokens: z.int().positive().optional(),
    stop: z.union([z.string(), z.array(z.string())]).optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    seed: z.int().optional(),
    response_format: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ description: "Model parameters the prompt runs with, in OpenAI's names; a request's own values win." });

export const PROMPT_ROLES = ['system', 'developer', 'user', 'assistant'] as const;

const MessageSchema = z.strictObject({
  role: z.enum(PROMPT_ROLES),
  content: z.string().meta({ description: 'A Mustache template: {{name}} inserts a variable, {{#list}}…{{/list}} repeats, {{^flag}}…{{/flag}} inverts.' }),
});

const ExampleSchema = z
  .strictObject({ user: z.string(), assistant: z.string() })
  .meta({ description: 'A few-shot example: a user turn and the answer wanted; inserted after the system messages.' });

const common = {
  id: z.string().regex(PROMPT_ID).optional().meta({ description: 'The prompt id; must match the file name when given.' }),
  version: z.int().positive().optional().meta({ description: 'The version; must match the file name when given.' }),
  description: z.string().optional(),
  parameters: ParametersSchema.optional(),
  variables: z
    .record(z.string().regex(VARIABLE_NAME, { message: 'variable names use letters, digits and "_", and do not start with a digit' }), VariableSchema)
    .default({}),
  examples: z.array(ExampleSchema).default([]),
};

export const PromptFileSchema = z.strictObject({ ...common, messages: z.array(MessageSchema).min(1) });

/** Markdown front matter: the messages are the body, unless the front matter lists them (and the body is empty). */
export const FrontMatterSchema = z.strictObject({ ...common, messages: z.array(MessageSchema).min(1).optional() });

export type PromptFile = z.infer<typeof PromptFileSchema>;
export type VariableSpec = z.infer<typeof VariableObjectSchema>;
export type PromptParameters = z.infer<typeof ParametersSchema>;
export type PromptRole = (typeof PROMPT_ROLES)[number];
