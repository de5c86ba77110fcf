// The Bedrock Runtime client: signs each call with SigV4 and speaks Converse (chat), ConverseStream
// (chat streams, a binary event stream) and InvokeModel (embeddings).
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../core/errors.js';
import type { ChatChunk, ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse } from '../../core/types.js';
import { callTransport, discardBody, readJson, transportError, upstreamRequest } from '../http.js';
import { refineUpstreamError } from '../shared/upstream-errors.js';
import type { CallOptions, ProviderClient } from '../types.js';
import { converseBody } from './converse-request.js';
import { chatResponse, StreamMapper, type ConverseOutput } from './converse-response.js';
import { bedrockEmbeddings } from './embeddings.js';
import { streamException } from './errors.js';
import { decodeEventStream, EventStreamError } from './eventstream.js';
import { signRequest, uriEncode, type AwsCredentials } from './sigv4.js';

const PROVIDER = 'bedrock';
const SERVICE = 'bedrock';

export interface BedrockClientOptions {
  region: string;
  /** Base URL of Bedrock Runtime: https://bedrock-runtime.<region>.amazonaws.com unless overridden. */
  endpoint: string;
  /** Resolves the credentials to sign with (static, or refreshed temporary ones). */
  credentials: () => Promise<AwsCredentials>;
  secrets: readonly string[];
}

export class BedrockClient implements ProviderClient {
  private readonly base: string;

  constructor(private readonly opts: BedrockClientOptions) {
    this.base = opts.endpoint.replace(/\/+$/, '');
  }

  async chat(req: ChatRequest, call: CallOptions): Promise<ChatResponse> {
    const res = await this.send('converse', converseBody(req, call), call, 'application/json');
    const json = await readJson<ConverseOutput>(res, PROVIDER, call.signal);
    return chatResponse(json, completionId(res.headers), call.model);
  }

  async chatStream(req: ChatRequest, call: CallOptions): Promise<AsyncIterable<ChatChunk>> {
    const res = await this.send('converse-stream', converseBody(req, call), call, 'application/vnd.amazon.eventstream');
    if (!String(res.headers['content-type'] ?? '').includes('eventstream')) {
      discardBody(res.body);
      throw new GatewayError(502, `Upstream ${PROVIDER} answered a stream request without an event stream`, { code: 'upstream_invalid_response' });
    }
    const mapper = new StreamMapper(completionId(res.headers), call.model, req.stream_options?.include_usage === true);
    const { secrets } = this.opts;
    return (async function* () {
      try {
        for await (const { headers, payload } of decodeEventStream(res.body)) {
          const kind = headers[':message-type'];
          if (kind === 'exception') {
            const { message } = parseEvent(payload) as { message?: string };
            throw streamException(String(headers[':exception-type']), message, secrets);
          }
          if (kind === 'error') throw streamException(String(headers[':error-code']), String(headers[':error-message'] ?? ''), secrets);
          yield* mapper.map(String(headers[':event-type']), parseEvent(payload));
        }
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        if (err instanceof EventStreamError) {
          throw new GatewayError(502, `Upstream ${PROVIDER} sent a broken event stream: ${err.message}`, { code: 'upstream_invalid_response' });
        }
        throw transportError(err, PROVIDER, call.signal);
      } finally {
        // Stops the upstream transfer when the consumer stops early (client gone, error).
        discardBody(res.body);
      }
    })();
  }

  async embeddings(req: EmbeddingsRequest, call: CallOptions): Promise<EmbeddingsResponse> {
    return bedrockEmbeddings(req, call, async (body) => {
      const res = await this.send('invoke', body, call, 'application/json');
      const tokens = Number(res.headers['x-amzn-bedrock-input-token-count']);
      return { json: await readJson(res, PROVIDER, call.signal), inputTokens: Number.isFinite(tokens) ? tokens : undefined };
    });
  }

  /** POSTs a signed JSON body to /model/{modelId}/{action}. */
  private async send(action: string, body: object, call: CallOptions, accept: string) {
    // The model id (which may be an ARN, with ":" and "/") is one path segment, so it is encoded.
    const url = new URL(`${this.base}/model/${uriEncode(call.model)}/${action}`);
    const text = JSON.stringify(body);
    const headers = signRequest({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      body: text,
      region: this.opts.region,
      service: SERVICE,
      credentials: await this.opts.credentials(),
    });
    headers.accept = accept;
    try {
      return await upstreamRequest({
        url: url.href,
        headers,
        body: text,
        ...callTransport(call),
        provider: PROVIDER,
        secrets: this.opts.secrets,
      });
    } catch (err) {
      throw refineUpstreamError(err);
    }
  }
}

function parseEvent(payload: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new GatewayError(502, `Upstream ${PROVIDER} sent a stream event that is not JSON`, { code: 'upstream_invalid_response' });
  }
}

/** Bedrock's request id names the completion, so a log line can be matched with AWS's records. */
function completionId(headers: Record<string, string | string[] | undefined>): string {
  const requestId = headers['x-amzn-requestid'];
  return `chatcmpl-${typeof requestId === 'string' ? requestId : randomUUID()}`;
}
