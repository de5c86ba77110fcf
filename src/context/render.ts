// The context system message: instructions, the user's profile and preferences, the summary of
// earlier turns and the documents with their source ids, rendered by a Mustache template (the
// endpoint's `context.template`, or the default below). Values are inserted as they are: the
// output is a prompt, not HTML. The default leaves the user id out: clients often send it for
// attribution only, and it should not reach the provider unasked (a template may add {{user.id}}).
import Mustache from 'mustache';
import type { ContextDocument, Envelope } from './envelope.js';

export const DEFAULT_TEMPLATE = `{{#instructions}}{{{instructions}}}

{{/instructions}}{{#user.profile_text}}User profile:
{{{user.profile_text}}}

{{/user.profile_text}}{{#user.preferences_text}}User preferences:
{{{user.preferences_text}}}

{{/user.preferences_text}}{{#summary}}Summary of the earlier conversation:
{{{summary}}}

{{/summary}}{{#has_documents}}Answer using the documents below when they are relevant, and cite each one you use as [source_id].
{{#documents}}
[{{{id}}}]{{#title}} {{{title}}}{{/title}}
{{{text}}}
{{/documents}}{{/has_documents}}`;

export interface ContextView {
  envelope?: Envelope;
  documents: ContextDocument[];
  summary?: string;
}

const noEscape = { escape: (s: unknown) => String(s) };

/** Renders the context system message; empty when there is nothing to say. */
export function renderContext(template: string, { envelope, documents, summary }: ContextView): string {
  const user = envelope?.user;
  const view = {
    instructions: envelope?.instructions,
    user: {
      id: envelope?.user_id,
      profile: user?.profile,
      preferences: user?.preferences,
      profile_text: user?.profile && lines(user.profile),
      preferences_text: user?.preferences && lines(user.preferences),
    },
    documents,
    has_documents: documents.length > 0,
    summary,
    metadata: envelope?.metadata ?? {},
  };
  return Mustache.render(template, view, undefined, noEscape).trim();
}

/** "key: value" lines, objects as JSON. */
function lines(record: Record<string, unknown>): string {
  return Object.entries(record)
    .map(([k, v]) => `- ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
}

/** Throws with Mustache's reason when a configured template does not parse (checked at config load). */
export function checkTemplate(template: string): string | undefined {
  try {
    Mustache.parse(template);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
