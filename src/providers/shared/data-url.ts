// Inline media as OpenAI clients send it (`data:image/png;base64,...`), for providers that take the
// bytes and their media type as separate fields (Gemini's inlineData, Anthropic's and Bedrock's images).

export interface InlineData {
  mimeType: string;
  /** Base64, as it appeared in the URL. */
  data: string;
}

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)((?:;[\w.+-]+=[^;,]*)*);base64,/i;

/** The media type and base64 payload of a base64 `data:` URL, or undefined for any other URL. */
export function parseDataUrl(url: string): InlineData | undefined {
  const match = DATA_URL.exec(url);
  if (!match) return undefined;
  return { mimeType: match[1].toLowerCase(), data: url.slice(match[0].length) };
}
