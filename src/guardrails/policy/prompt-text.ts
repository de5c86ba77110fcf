// Chooses which prompt text a content policy looks at, following Kong's ai-prompt-guard: user
// messages only unless all roles are asked for, the newest first, joined by a space.
import type { ChatMessage, ChatRequest, CompletionRequest, ContentPart } from '../../core/types.js';

export interface PromptSelection {
  /** Check system, assistant and tool messages too (Kong: match_all_roles). */
  matchAllRoles?: boolean;
  /** Check only the newest selected message instead of the whole history (Kong: allow_all_conversation_history). */
  latestOnly?: boolean;
}

export function messageText(content: string | ContentPart[] | null): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.flatMap((part) => (typeof part.text === 'string' ? [part.text] : [])).join(' ');
}

export function selectPromptText(
  request: Pick<ChatRequest, 'messages'> | Pick<CompletionRequest, 'prompt'>,
  selection: PromptSelection = {},
): string {
  if ('prompt' in request) {
    const { prompt } = request;
    if (typeof prompt === 'string') return prompt;
    return (prompt as unknown[]).filter((item): item is string => typeof item === 'string').join(' ');
  }
  const texts: string[] = [];
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message: ChatMessage = request.messages[i];
    if (message.role !== 'user' && !selection.matchAllRoles) continue;
    texts.push(messageText(message.content));
    if (selection.latestOnly) break;
  }
  return texts.join(' ');
}
