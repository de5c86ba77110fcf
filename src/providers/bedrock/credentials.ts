// Where the Bedrock provider's AWS credentials come from: the config's keys, else the standard
// environment variables; with aws_role_arn, temporary credentials of that role from STS AssumeRole,
// cached until shortly before they expire.
import { GatewayError } from '../../core/errors.js';
import { upstreamRequest } from '../http.js';
import { signRequest, type AwsCredentials } from './sigv4.js';

export type CredentialSource = () => Promise<AwsCredentials>;

/** Keys written in the config win; otherwise AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN. */
export function baseCredentials(
  config: { aws_access_key_id?: string; aws_secret_access_key?: string; aws_session_token?: string },
  env: NodeJS.ProcessEnv,
): AwsCredentials | undefined {
  if (config.aws_access_key_id && config.aws_secret_access_key) {
    return { accessKeyId: config.aws_access_key_id, secretAccessKey: config.aws_secret_access_key, sessionToken: config.aws_session_token };
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined };
  }
  return undefined;
}

/** Renew temporary credentials this long before AWS says they expire, so no call is signed with stale ones. */
const REFRESH_MARGIN_MS = 5 * 60_000;
const STS_TIMEOUT_MS = 30_000;

export interface AssumeRoleOptions {
  roleArn: string;
  durationSeconds: number;
  region: string;
  /** https://sts.<region>.amazonaws.com unless overridden. */
  endpoint: string;
  base: AwsCredentials;
  secrets: readonly string[];
}

/** Credentials of a role: one AssumeRole call shared by concurrent callers, renewed before expiry. */
export function assumeRoleCredentials(opts: AssumeRoleOptions): CredentialSource {
  let current: { credentials: AwsCredentials; renewAt: number } | undefined;
  let inFlight: Promise<AwsCredentials> | undefined;
  return async () => {
    if (current && Date.now() < current.renewAt) return current.credentials;
    inFlight ??= assumeRole(opts)
      .then(({ credentials, expiresAt }) => {
        current = { credentials, renewAt: Math.max(Date.now(), expiresAt - REFRESH_MARGIN_MS) };
        return credentials;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}

/** STS's Query API: a signed form POST answered with XML (AWS's STS API reference, AssumeRole). */
async function assumeRole(opts: AssumeRoleOptions): Promise<{ credentials: AwsCredentials; expiresAt: number }> {
  const url = new URL(opts.endpoint);
  const body = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: opts.roleArn,
    RoleSessionName: `gatehouse-${Date.now()}`,
    DurationSeconds: String(opts.durationSeconds),
  }).toString();
  const headers = signRequest({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
    region: opts.region,
    service: 'sts',
    credentials: opts.base,
  });
  // Concurrent requests share this call, so it has its own time limit rather than one client's signal.
  const signal = AbortSignal.timeout(STS_TIMEOUT_MS);
  let xml: string;
  try {
    const res = await upstreamRequest({ url: url.href, headers, body, signal, timeoutMs: STS_TIMEOUT_MS, provider: 'bedrock (STS)', secrets: opts.secrets });
    xml = await readText(res.body);
  } catch (err) {
    // Whatever STS said, the gateway's own AWS setup is at fault, never the client's request.
    const detail = err instanceof GatewayError ? err.message : 'STS could not be reached';
    throw new GatewayError(502, `Could not assume role ${opts.roleArn}: ${detail}`, { type: 'upstream_error', code: 'upstream_error' });
  }
  const field = (name: string) => {
    const raw = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
    return raw === undefined ? undefined : unescapeXml(raw.trim());
  };
  const accessKeyId = field('AccessKeyId');
  const secretAccessKey = field('SecretAccessKey');
  const expiration = Date.parse(field('Expiration') ?? '');
  if (!accessKeyId || !secretAccessKey || Number.isNaN(expiration)) {
    throw new GatewayError(502, `STS answered AssumeRole of ${opts.roleArn} without credentials`, { code: 'upstream_invalid_response' });
  }
  return { credentials: { accessKeyId, secretAccessKey, sessionToken: field('SessionToken') || undefined }, expiresAt: expiration };
}

async function readText(body: AsyncIterable<Buffer | Uint8Array>): Promise<string> {
  let text = '';
  for await (const chunk of body) text += Buffer.from(chunk).toString('utf8');
  return text;
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}
