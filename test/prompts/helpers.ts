// Prompt files and configs shared by the prompt tests.
import { tempDir } from '../helpers/config.js';
import { MOCK_CONFIG } from '../helpers/gateway.js';

/** summarize, version 1 (YAML): a system and a user message, model parameters, a default. */
export const SUMMARIZE_1 = `id: summarize
version: 1
description: Summarizes a text.
parameters: { temperature: 0.2, max_tokens: 100 }
variables:
  text: { type: string, description: The text to summarize. }
  sentences: { type: integer, default: 3 }
messages:
  - role: system
    content: Summarize in {{sentences}} sentences.
  - role: user
    content: "v1: {{text}}"
`;

/** summarize, version 2 (Markdown): the same variables, a few-shot example, other wording. */
export const SUMMARIZE_2 = `---
description: Summarizes a text, version 2.
parameters:
  temperature: 0.5
variables:
  text: { type: string }
  sentences: { type: integer, default: 3 }
examples:
  - user: "v2: The sky is blue."
    assistant: Blue sky.
---
system:
You write {{sentences}}-sentence summaries.

user:
v2: {{text}}
`;

/** classify, version 1: an array variable rendered with a section. */
export const CLASSIFY_1 = `variables:
  ticket: string
  labels: { type: array, items: { type: string } }
  urgent: { type: boolean, required: false }
messages:
  - role: system
    content: "Labels:{{#labels}} {{.}}{{/labels}}{{#urgent}} (urgent){{/urgent}}"
  - role: user
    content: "{{ticket}}"
`;

export const PROMPT_FILES = { 'summarize@1.yaml': SUMMARIZE_1, 'summarize@2.md': SUMMARIZE_2, 'classify@1.yml': CLASSIFY_1 };

/** A folder holding the given prompt files (by default the three above). */
export const promptsDir = (files: Record<string, string> = PROMPT_FILES) => tempDir(files);

/** The mock chat, completions and embeddings endpoints, a route over chat, and the prompts of `dir`; `extra` goes under `prompts:`. */
export const mockConfig = (dir: string, extra = '') => `${MOCK_CONFIG}routes:
  - name: assistant
    task_type: llm/v1/chat
    destinations: [{ name: chat, traffic_percentage: 100 }]
prompts:
  dir: ${dir}
  pins: { summarize: 1 }
${extra}`;
