// OpenAI chat messages -> Gemini's systemInstruction and contents.
// system/developer -> systemInstruction; user -> role "user"; assistant -> role "model" with text and
// functionCall parts; tool -> a "user" turn with functionResponse parts (Gemini names the function
// rather than the call, so the name comes from the assistant's call with that id).
import { badRequest } from '../../core/errors.js';
import type { ChatMessage, ContentPart } from '../../core/types.js';
import { parseDataUrl } from '../shared/data-url.js';
import { thoughtSignatureOf } from './tool-ids.js';

export interface GeminiPart {
  text?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: { name: string; args: Record<string, unknown> };
  functionResponse?: { name: string; response: Record<string, unknown> };
  thoughtSignature?: string;
}

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface MappedMessages {
  systemInstruction?: { parts: GeminiPart[] };
  contents: GeminiContent[];
}

/** Which file URLs the upstream can read itself: Vertex AI reads Cloud Storage (gs://), Google AI does not. */
export interface MediaSupport {
  gcsUris: boolean;
}

export function mapMessages(messages: ChatMessage[], media: MediaSupport): MappedMessages {
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        // Gemini has one system instruction: every system message goes there, in order.
        system.push(...textParts(message.content, at));
        return;
      case 'user':
        return push(contents, 'user', contentParts(message.content, at, media));
      case 'assistant':
        return push(contents, 'model', assistantParts(message, at, callNames));
      case 'tool':
        return push(contents, 'user', [toolResponsePart(message, at, callNames)]);
      default:
        throw badRequest(`The gemini provider does not take messages with role '${message.role}'`, `${at}.role`);
    }
  });
  if (contents.length === 0) throw badRequest('Gemini needs at least one user or assistant message besides system messages', 'messages');
  return { systemInstruction: system.length > 0 ? { parts: system } : undefined, contents };
}

/** Consecutive turns of one role become one turn: parallel tool results belong together, and Gemini expects turns to alternate. */
function push(contents: GeminiContent[], role: GeminiContent['role'], parts: GeminiPart[]): void {
  if (parts.length === 0) return;
  const last = contents[contents.length - 1];
  if (last?.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

function assistantParts(message: ChatMessage, at: string, callNames: Map<string, string>): GeminiPart[] {
  const parts = textParts(message.content, at).filter((p) => p.text !== '');
  (message.tool_calls ?? []).forEach((call, j) => {
    const name = call.function?.name;
    if (!name) throw badRequest('A tool call needs a function name', `${at}.tool_calls[${j}].function.name`);
    callNames.set(call.id, name);
    const part: GeminiPart = { functionCall: { name, args: parseArguments(call.function.arguments, `${at}.tool_calls[${j}].function.arguments`) } };
    const signature = thoughtSignatureOf(call.id);
    if (signature) part.thoughtSignature = signature;
    parts.push(part);
  });
  return parts;
}

function parseArguments(text: string | undefined, param: string): Record<string, unknown> {
  if (!text) return {};
  try {
    const args: unknown = JSON.parse(text);
    if (typeof args === 'object' && args !== null && !Array.isArray(args)) return args as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw badRequest('Tool call arguments must be a JSON object', param);
}

function toolResponsePart(message: ChatMessage, at: string, callNames: Map<string, string>): GeminiPart {
  const name = (message.tool_call_id && callNames.get(message.tool_call_id)) ?? message.name;
  if (!name) throw badRequest(`'${at}.tool_call_id' does not match a tool call of an earlier assistant message`, `${at}.tool_call_id`);
  const text = textParts(message.content, at).map((p) => p.text).join('');
  return { functionResponse: { name, response: responseObject(text) } };
}

/** Gemini takes a function's result as a JSON object: a JSON object result is passed as is, anything else is wrapped. */
function responseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Plain text.
  }
  return { content: text };
}

function textParts(content: ChatMessage['content'], at: string): GeminiPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ text: content }];
  return content.map((part, j) => {
    if (part.type !== 'text' || typeof part.text !== 'string') {
      throw badRequest(`Only text content parts are allowed here, not '${part.type}'`, `${at}.content[${j}]`);
    }
    return { text: part.text };
  });
}

function contentParts(content: ChatMessage['content'], at: string, media: MediaSupport): GeminiPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ text: content }];
  return content.map((part, j) => contentPart(part, `${at}.content[${j}]`, media));
}

function contentPart(part: ContentPart, at: string, media: MediaSupport): GeminiPart {
  switch (part.type) {
    case 'text':
      if (typeof part.text !== 'string') throw badRequest("A text part needs 'text'", `${at}.text`);
      return { text: part.text };
    case 'image_url': {
      const url = (part.image_url as { url?: unknown } | undefined)?.url;
      if (typeof url !== 'string') throw badRequest("An image_url part needs 'image_url.url'", `${at}.image_url.url`);
      return mediaPart(url, `${at}.image_url.url`, media);
    }
    case 'input_audio': {
      const audio = part.input_audio as { data?: unknown; format?: unknown } | undefined;
      if (typeof audio?.data !== 'string') throw badRequest("An input_audio part needs 'input_audio.data'", `${at}.input_audio.data`);
      const format = typeof audio.format === 'string' ? audio.format : 'wav';
      return { inlineData: { mimeType: `audio/${format === 'mp3' ? 'mpeg' : format}`, data: audio.data } };
    }
    case 'file': {
      const file = part.file as { file_data?: unknown; file_id?: unknown } | undefined;
      if (typeof file?.file_data === 'string') return mediaPart(file.file_data, `${at}.file.file_data`, media);
      // A file id names a file uploaded to the provider: Gemini's Files API URI or a gs:// object.
      if (typeof file?.file_id === 'string') return mediaPart(file.file_id, `${at}.file.file_id`, media);
      throw badRequest("A file part needs 'file.file_data' or 'file.file_id'", `${at}.file`);
    }
    default:
      throw badRequest(`The gemini provider does not take content parts of type '${part.type}'`, `${at}.type`);
  }
}

/**
 * Inline data URLs are sent as inlineData. Other URLs are passed as fileData for Gemini to read:
 * https (Gemini Files API URIs, YouTube, public URLs on current models) everywhere, gs:// on Vertex AI
 * only. The gateway never downloads a URL itself.
 */
function mediaPart(url: string, param: string, media: MediaSupport): GeminiPart {
  if (url.startsWith('data:')) {
    const inline = parseDataUrl(url);
    if (!inline) throw badRequest('A data URL must be base64-encoded: data:<media type>;base64,<data>', param);
    return { inlineData: inline };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1].toLowerCase();
  if (scheme === 'https' || scheme === 'http' || (scheme === 'gs' && media.gcsUris)) {
    const mimeType = mimeTypeOf(url);
    return { fileData: mimeType ? { mimeType, fileUri: url } : { fileUri: url } };
  }
  const allowed = media.gcsUris ? 'a data: URL, an https:// URL or a gs:// URI' : 'a data: URL or an https:// URL (gs:// URIs need Vertex AI)';
  throw badRequest(`Media must be given as ${allowed}`, param);
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  txt: 'text/plain',
};

/** Vertex AI needs fileData's media type; it is read from the file extension when there is one. */
function mimeTypeOf(url: string): string | undefined {
  const path = url.split(/[?#]/)[0];
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1].toLowerCase();
  return extension ? MIME_BY_EXTENSION[extension] : undefined;
}
