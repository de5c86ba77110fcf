// A fake Amazon Bedrock Runtime (and STS) on a random loopback port, written from AWS's API references:
// - POST /model/{modelId}/converse: Converse JSON in and out.
// - POST /model/{modelId}/converse-stream: the same request, answered as application/vnd.amazon.eventstream
//   (binary frames with CRC32s; events messageStart, contentBlockStart/Delta/Stop, messageStop, metadata;
//   exception frames), written in slices cut at awkward byte offsets.
// - POST /model/{modelId}/invoke: Titan ({inputText}) and Cohere ({texts, input_type}) embeddings.
// - POST / with Action=AssumeRole: STS's XML answer with temporary credentials.
// Every request must carry a valid SigV4 signature, which the fake recomputes from what it received;
// errors are {"message"} with the name in x-amzn-errortype, as Bedrock sends them.
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { fakeControls } from './controls.js';

export interface FakeKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface BedrockBehaviour {
  /** Answer with this HTTP error. */
  error?: { status: number; type: string; message: string };
  /** Stream: send an exception frame after this many event frames. */
  exception?: { afterEvents: number; type: string; message: string };
  /** Reply text of chat answers. */
  text?: string;
  /** Stop reason of chat answers (default end_turn, or tool_use when a tool is forced). */
  stopReason?: string;
  /** Usage of chat answers, added to the counted one. */
  cacheReadInputTokens?: number;
}

export interface BedrockRequest {
  action: string;
  /** The model id, decoded from the path. */
  modelId: string;
  rawPath: string;
  headers: IncomingHttpHeaders;
  body: any;
  /** Who signed: the access key id of a valid signature. */
  signedBy: string;
  service: string;
  region: string;
}

export interface FakeBedrock {
  url: string;
  requests: BedrockRequest[];
  last(): BedrockRequest;
  next(...behaviours: BedrockBehaviour[]): void;
  /** Keys the fake accepts; STS adds the temporary ones it issues. */
  keys: FakeKey[];
  /** How long issued STS credentials live (ms). */
  stsLifetimeMs: number;
  reset(): void;
  close(): Promise<void>;
}

export const BEDROCK_REPLY = 'Hello from the fake Bedrock upstream.';

export async function startFakeBedrock(opts: { region: string; keys: FakeKey[] }): Promise<FakeBedrock> {
  const requests: BedrockRequest[] = [];
  const queue: BedrockBehaviour[] = [];
  let issued = 0;
  // What tests change while the fake runs (accepted keys, STS credential lifetime): the returned handle itself.
  const settings = { keys: [...opts.keys], stsLifetimeMs: 3_600_000 };

  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const rawPath = req.url ?? '/';
    const auth = verifySignature(req.method ?? 'GET', rawPath, req.headers, raw, settings.keys);
    if (typeof auth === 'string') return sendError(res, 403, auth.startsWith('The security token') ? 'UnrecognizedClientException' : 'InvalidSignatureException', auth);
    if (auth.region !== opts.region) return sendError(res, 403, 'InvalidSignatureException', `Credential should be scoped to a valid region, not '${auth.region}'.`);

    if (rawPath === '/') {
      const form = new URLSearchParams(raw);
      if (auth.service !== 'sts' || form.get('Action') !== 'AssumeRole') return sendError(res, 400, 'InvalidAction', 'Could not find operation');
      const key = { accessKeyId: `ASIAFAKE${++issued}`, secretAccessKey: `temp-secret-${issued}-0123456789`, sessionToken: `temp/session+token=${issued}` };
      settings.keys.push(key);
      requests.push({ action: 'AssumeRole', modelId: '', rawPath, headers: req.headers, body: Object.fromEntries(form), signedBy: auth.accessKeyId, service: auth.service, region: auth.region });
      return sendStsCredentials(res, key, new Date(Date.now() + settings.stsLifetimeMs));
    }

    const match = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec(rawPath);
    if (!match) return sendError(res, 404, 'UnknownOperationException', `Unknown operation ${rawPath}`);
    if (auth.service !== 'bedrock') return sendError(res, 403, 'InvalidSignatureException', `Credential should be scoped to correct service: 'bedrock'.`);
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      return sendError(res, 400, 'SerializationException', 'The request body is not JSON');
    }
    const [, modelPath, action] = match;
    requests.push({ action, modelId: decodeURIComponent(modelPath), rawPath, headers: req.headers, body, signedBy: auth.accessKeyId, service: auth.service, region: auth.region });
    const behaviour = queue.shift() ?? {};
    if (behaviour.error) return sendError(res, behaviour.error.status, behaviour.error.type, behaviour.error.message);
    if (action === 'invoke') return embed(res, decodeURIComponent(modelPath), body);
    const invalid = validateConverse(body);
    if (invalid) return sendError(res, 400, 'ValidationException', invalid);
    const answer = converse(body, behaviour);
    if (action === 'converse') return sendJson(res, 200, answer);
    await sendEventStream(res, streamEvents(answer), behaviour.exception);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(settings, { url, ...fakeControls<BedrockRequest, BedrockBehaviour>(server, requests, queue) });
}

// --- SigV4, recomputed from the request as received -------------------------------------------

const strictEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const hex = (data: string) => createHash('sha256').update(data).digest('hex');

/** The signer's identity, or the error message AWS would answer with. */
function verifySignature(method: string, rawUrl: string, headers: IncomingHttpHeaders, body: string, keys: FakeKey[]) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(String(headers.authorization ?? ''));
  if (!m) return 'Authorization header requires a valid AWS4-HMAC-SHA256 signature.';
  const [, accessKeyId, day, region, service, signedNames, signature] = m;
  const key = keys.find((k) => k.accessKeyId === accessKeyId);
  if (!key) return 'The security token included in the request is invalid.';
  if (key.sessionToken !== headers['x-amz-security-token']) return 'The security token included in the request is invalid.';
  const names = signedNames.split(';');
  for (const required of ['host', 'x-amz-date', ...(key.sessionToken ? ['x-amz-security-token'] : [])]) {
    if (!names.includes(required)) return `Header ${required} must be signed.`;
  }
  const amzDate = String(headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(day)) return 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.';
  const [path, query = ''] = rawUrl.split('?');
  const canonical = [
    method,
    path.split('/').map(strictEncode).join('/'),
    query,
    names.map((n) => `${n}:${String(headers[n] ?? '').trim()}\n`).join(''),
    signedNames,
    hex(body),
  ].join('\n');
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${day}/${region}/${service}/aws4_request\n${hex(canonical)}`;
  const derived = [day, region, service, 'aws4_request'].reduce<Buffer | string>((k, part) => createHmac('sha256', k).update(part).digest(), `AWS4${key.secretAccessKey}`);
  if (createHmac('sha256', derived).update(toSign).digest('hex') !== signature) {
    return 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';
  }
  return { accessKeyId, region, service };
}

// --- Converse -------------------------------------------------------------------------------

function validateConverse(body: any): string | undefined {
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'A conversation must start with a user message.';
  if (body.messages[0].role !== 'user') return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i];
    if (i > 0 && body.messages[i - 1].role === m.role) return 'A conversation must alternate between user and assistant roles.';
    for (const block of m.content) {
      if ('text' in block && !block.text) return 'The text field in the ContentBlock object is blank.';
      if (('toolUse' in block || 'toolResult' in block) && !body.toolConfig) return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
      if ('image' in block && Buffer.from(block.image.source.bytes, 'base64').length === 0) return 'The image bytes are empty.';
    }
  }
  const allowed = ['maxTokens', 'temperature', 'topP', 'stopSequences'];
  for (const key of Object.keys(body.inferenceConfig ?? {})) if (!allowed.includes(key)) return `extraneous key [${key}] is not permitted`;
  return undefined;
}

const words = (text: string) => text.match(/\s*\S+/g) ?? [];

function converse(body: any, b: BedrockBehaviour): any {
  const promptText = [...(body.system ?? []), ...body.messages.flatMap((m: any) => m.content)].map((c: any) => c.text ?? '').join(' ');
  const inputTokens = words(promptText).length;
  const choice = body.toolConfig?.toolChoice;
  const forced = choice?.tool?.name ?? (choice?.any ? body.toolConfig.tools[0].toolSpec.name : undefined);
  const text = b.text ?? BEDROCK_REPLY;
  const content = forced ? [{ toolUse: { toolUseId: 'tooluse_fake1', name: forced, input: { city: 'Paris', days: 3 } } }] : [{ text }];
  const outputTokens = forced ? 12 : words(text).length;
  const cacheRead = b.cacheReadInputTokens ?? 0;
  return {
    output: { message: { role: 'assistant', content } },
    stopReason: b.stopReason ?? (forced ? 'tool_use' : 'end_turn'),
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens + cacheRead, ...(cacheRead ? { cacheReadInputTokens: cacheRead } : {}) },
    metrics: { latencyMs: 42 },
  };
}

/** The ConverseStream events of an answer: text word by word, tool input in three JSON pieces. */
function streamEvents(answer: any): [string, object][] {
  const events: [string, object][] = [['messageStart', { role: 'assistant' }]];
  answer.output.message.content.forEach((block: any, contentBlockIndex: number) => {
    if (block.toolUse) {
      const { toolUseId, name, input } = block.toolUse;
      events.push(['contentBlockStart', { start: { toolUse: { toolUseId, name } }, contentBlockIndex }]);
      const json = JSON.stringify(input);
      const cuts = [0, 3, Math.floor(json.length / 2), json.length];
      for (let i = 1; i < cuts.length; i++) events.push(['contentBlockDelta', { delta: { toolUse: { input: json.slice(cuts[i - 1], cuts[i]) } }, contentBlockIndex }]);
    } else {
      for (const piece of words(block.text)) events.push(['contentBlockDelta', { delta: { text: piece }, contentBlockIndex }]);
    }
    events.push(['contentBlockStop', { contentBlockIndex }]);
  });
  events.push(['messageStop', { stopReason: answer.stopReason }]);
  events.push(['metadata', { usage: answer.usage, metrics: answer.metrics }]);
  return events;
}

// --- Event-stream encoding -------------------------------------------------------------------

/** One event-stream frame with string headers (value type 7). */
export function encodeFrame(headers: Record<string, string>, payload: Buffer): Buffer {
  const headerBytes = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const n = Buffer.from(name);
      const v = Buffer.from(value);
      const out = Buffer.alloc(1 + n.length + 3 + v.length);
      out.writeUInt8(n.length, 0);
      n.copy(out, 1);
      out.writeUInt8(7, 1 + n.length);
      out.writeUInt16BE(v.length, 2 + n.length);
      v.copy(out, 4 + n.length);
      return out;
    }),
  );
  const total = 12 + headerBytes.length + payload.length + 4;
  const frame = Buffer.alloc(total);
  frame.writeUInt32BE(total, 0);
  frame.writeUInt32BE(headerBytes.length, 4);
  frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
  headerBytes.copy(frame, 12);
  payload.copy(frame, 12 + headerBytes.length);
  frame.writeUInt32BE(crc32(frame.subarray(0, total - 4)), total - 4);
  return frame;
}

export function eventFrame(type: string, event: object): Buffer {
  // Bedrock pads each event with a "p" field so payload sizes do not reveal the text; clients ignore it.
  const payload = Buffer.from(JSON.stringify({ ...event, p: 'abcdefghijklmnopqrstu'.slice(0, 1 + (type.length % 20)) }));
  return encodeFrame({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, payload);
}

/** Slice lengths that cut frames inside preludes, headers, payloads and checksums. */
const SLICES = [1, 3, 7, 2, 13, 5, 29, 4, 11, 64];

async function sendEventStream(res: ServerResponse, events: [string, object][], exception?: BedrockBehaviour['exception']): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'fake-stream-request-id' });
  const frames = events.map(([type, event]) => eventFrame(type, event));
  if (exception) {
    const payload = Buffer.from(JSON.stringify({ message: exception.message }));
    frames.splice(exception.afterEvents, frames.length, encodeFrame({ ':exception-type': exception.type, ':content-type': 'application/json', ':message-type': 'exception' }, payload));
  }
  const bytes = Buffer.concat(frames);
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = SLICES[i % SLICES.length];
    res.write(bytes.subarray(at, at + size));
    at += size;
    await new Promise((resolve) => setImmediate(resolve));
  }
  res.end();
}

// --- Embeddings and plumbing -------------------------------------------------------------------

function embed(res: ServerResponse, modelId: string, body: any): void {
  const vector = (text: string, dims: number) => Array.from({ length: dims }, (_, i) => ((text.length * (i + 1)) % 17) / 17);
  if (modelId.startsWith('amazon.titan-embed')) {
    if (typeof body.inputText !== 'string') return sendError(res, 400, 'ValidationException', 'required key [inputText] not found');
    const v1 = modelId.includes('-v1');
    if (v1 && 'dimensions' in body) return sendError(res, 400, 'ValidationException', 'extraneous key [dimensions] is not permitted');
    return sendJson(res, 200, { embedding: vector(body.inputText, body.dimensions ?? (v1 ? 1536 : 1024)), inputTextTokenCount: words(body.inputText).length });
  }
  if (modelId.startsWith('cohere.embed')) {
    if (!Array.isArray(body.texts) || typeof body.input_type !== 'string') return sendError(res, 400, 'ValidationException', 'texts and input_type are required');
    const tokens = body.texts.reduce((n: number, t: string) => n + words(t).length, 0);
    return sendJson(res, 200, { id: 'emb-fake', embeddings: body.texts.map((t: string) => vector(t, 1024)), texts: body.texts, response_type: 'embeddings_floats' }, {
      'x-amzn-bedrock-input-token-count': String(tokens),
    });
  }
  sendError(res, 400, 'ValidationException', `The provided model identifier is invalid: ${modelId}`);
}

function sendStsCredentials(res: ServerResponse, key: FakeKey, expiration: Date): void {
  res.writeHead(200, { 'content-type': 'text/xml' });
  res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>${key.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${key.secretAccessKey}</SecretAccessKey>
      <SessionToken>${key.sessionToken}</SessionToken>
      <Expiration>${expiration.toISOString()}</Expiration>
    </Credentials>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/bedrock/gatehouse</Arn><AssumedRoleId>AROAFAKE:gatehouse</AssumedRoleId></AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>fake-sts-request</RequestId></ResponseMetadata>
</AssumeRoleResponse>`);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': 'fake-request-id', ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  const headers: Record<string, string> = { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` };
  sendJson(res, status, { message }, headers);
}
