// Config keys of prompts as code: where the prompt files are, which version each prompt is pinned
// to, prompts published as REST APIs, and the route keys that split traffic between prompt versions.
// The prompt files themselves have their own schema (src/prompts/file-schema.ts).
import { z } from 'zod';

export const PROMPT_ID = /^[A-Za-z0-9_.-]+$/;

const promptId = z
  .string()
  .regex(PROMPT_ID, { message: 'prompt ids use letters, digits, ".", "_" and "-"' })
  .meta({ description: 'A prompt id: the <id> of its files, named <id>@<version>.yaml (or .yml, .md).' });

const version = z.int().positive().meta({ description: 'A prompt version: the <version> of a file named <id>@<version>.yaml.' });

const apiPath = z
  .string()
  .regex(/^\/[A-Za-z0-9._~\-/]*$/, { message: 'a public path starts with "/" and uses URL path characters' })
  .meta({ description: 'The public path of the API, e.g. /api/v1/summarize. It answers POST with the prompt\'s variables as a JSON object.' });

export const PromptApiSchema = z
  .strictObject({
    path: apiPath,
    prompt: promptId,
    version: version.optional().meta({
      description: "The prompt version this API serves. Left out: the route's prompt_versions split, else the pinned version, else the highest.",
    }),
    target: z.string().min(1).meta({ description: 'The chat endpoint or route that runs the prompt.' }),
    description: z.string().optional().meta({ description: "What the API does, for its OpenAPI document (default: the prompt's description)." }),
  })
  .meta({ description: 'A prompt published as a REST API: POST a JSON object of its variables, get {output, usage, prompt, model, request_id}.' });

export const PromptsSchema = z
  .strictObject({
    dir: z.string().min(1).default('prompts').meta({
      description: 'Folder of prompt files, relative to this config file (default prompts). Changes in it reload like a config change.',
    }),
    pins: z.record(promptId, version).default({}).meta({
      description: 'The version each prompt id serves when a request names none, e.g. {summarize: 2}. An id without a pin serves its highest version.',
    }),
    apis: z.array(PromptApiSchema).default([]).meta({ description: 'Prompts published as REST APIs, listed in GET /openapi.json.' }),
  })
  .meta({ description: 'Prompts as code: versioned templates that requests name with `prompt: {id, version?, variables}`. See docs/prompts.md.' });

export const PromptVersionShareSchema = z
  .strictObject({
    version: version,
    traffic_percentage: z.int().min(0).max(100).meta({ description: 'Share of requests, in percent; the shares sum to 100.' }),
  })
  .meta({ description: 'One version of the A/B split and its share of traffic.' });

/** Route keys of prompt A/B tests; spread into the route schema. */
export const routePromptKeys = {
  prompt: promptId.optional().meta({ description: 'The prompt whose versions `prompt_versions` splits between (needed with prompt_versions).' }),
  prompt_versions: z.array(PromptVersionShareSchema).min(1).optional().meta({
    description:
      "Prompt A/B test: requests through this route that name `prompt` without a version get one of these versions by share (sticky by the route's `sticky` key when it has one). The version used is logged and returned in x-gatehouse-prompt.",
  }),
};

export type PromptsConfig = z.infer<typeof PromptsSchema>;
export type PromptApiConfig = z.infer<typeof PromptApiSchema>;
