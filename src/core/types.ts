// Canonical request/response types: the OpenAI chat-completions shape. Every stage works on these;
// only surfaces and provider adapters know other wire formats.

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';

export interface ContentPart {
  type: string; // 'text' | 'image_url' | 'input_audio' | 'file' | ...
  text?: string;
  [key: string]: unknown;
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: Role;
  content: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  [key: string]: unknown;
}

/** A chat request in OpenAI's shape. Unknown parameters are kept and forwarded to OpenAI-compatible upstreams. */
export interface ChatRequest {
  model?: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  temperature?: number;
  top_p?: number;
  n?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[] | null;
  tools?: unknown[];
  tool_choice?: unknown;
  user?: string;
  [key: string]: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Of prompt_tokens, those read from the provider's prompt cache (billed at the cached-input price). */
  prompt_tokens_details?: { cached_tokens?: number; [key: string]: unknown };
  /** Of prompt_tokens, those written to the provider's prompt cache (Anthropic, Bedrock: billed above the input price). */
  cache_creation_input_tokens?: number;
  [key: string]: unknown;
}

export interface ChatChoice {
  index: number;
  message: ChatMessage;
  finish_reason: string | null;
  logprobs?: unknown;
}

export interface ChatResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatChoice[];
  usage?: Usage;
  system_fingerprint?: string | null;
  [key: string]: unknown;
}

export interface ChatChunkChoice {
  index: number;
  delta: Partial<ChatMessage>;
  finish_reason: string | null;
  logprobs?: unknown;
}

export interface ChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChatChunkChoice[];
  usage?: Usage | null;
  [key: string]: unknown;
}

export interface CompletionRequest {
  model?: string;
  /** Text, texts, token ids, or lists of token ids (as OpenAI's API takes them). */
  prompt: string | string[] | number[] | number[][];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number;
  temperature?: number;
  stop?: string | string[] | null;
  [key: string]: unknown;
}

export interface CompletionChoice {
  index: number;
  text: string;
  finish_reason: string | null;
  logprobs?: unknown;
}

export interface CompletionResponse {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage?: Usage;
  [key: string]: unknown;
}

export interface CompletionChunk {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage?: Usage | null;
}

export interface EmbeddingsRequest {
  model?: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  [key: string]: unknown;
}

export interface EmbeddingsResponse {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** OpenAI's moderation input: one text, several texts, or text and image parts (omni-moderation models). */
export type ModerationInput = string | string[] | ({ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } })[];

export interface ModerationRequest {
  model?: string;
  input: ModerationInput;
  [key: string]: unknown;
}

/** One input's verdict, in OpenAI's shape; providers with other category names keep theirs. */
export interface ModerationResult {
  flagged: boolean;
  categories: Record<string, boolean>;
  category_scores: Record<string, number>;
  [key: string]: unknown;
}

export interface ModerationResponse {
  id: string;
  model: string;
  results: ModerationResult[];
}

export type EndpointType = 'llm/v1/chat' | 'llm/v1/completions' | 'llm/v1/embeddings' | 'llm/v1/moderations';
