// The MLflow model registry's REST API (2.0), as an MLflow tracking server and GitLab's
// MLflow-compatible registry (/api/v4/projects/:id/ml/mlflow) serve it:
//   POST registered-models/get-latest-versions {name, stages}  -> {model_versions: [ModelVersion]}
//   GET  registered-models/alias?name&alias                    -> {model_version: ModelVersion}
//   GET  model-versions/get?name&version                       -> {model_version: ModelVersion}
// A ModelVersion carries name, version, current_stage, status and tags [{key, value}].
import { GatewayError } from '../core/errors.js';
import { readJson, upstreamRequest } from '../providers/http.js';
import type { RegisteredModel } from './schema.js';

export const REGISTRY = 'MLflow registry';

export interface RegistryConnection {
  /** The tracking URI: requests go to {trackingUri}/api/2.0/mlflow/... */
  trackingUri: string;
  /** Authorization, when a token or user is configured. */
  headers: Record<string, string>;
  /** Scrubbed from any message that quotes the registry. */
  secrets: string[];
  timeoutMs: number;
}

export interface ModelVersion {
  name: string;
  version: string;
  tags: Record<string, string>;
}

interface WireVersion {
  name?: string;
  version?: string | number;
  current_stage?: string;
  status?: string;
  tags?: { key?: string; value?: string }[];
}

/** Connection settings from the config's `mlflow:` section: a bearer token, or else basic auth. */
export function registryConnection(settings: { tracking_uri?: string; token?: string; username?: string; password?: string; timeout: number }): RegistryConnection {
  const headers: Record<string, string> = { accept: 'application/json' };
  const secrets: string[] = [];
  if (settings.token) {
    headers.authorization = `Bearer ${settings.token}`;
    secrets.push(settings.token);
  } else if (settings.username) {
    const password = settings.password ?? '';
    headers.authorization = `Basic ${Buffer.from(`${settings.username}:${password}`).toString('base64')}`;
    if (password) secrets.push(password);
  }
  return { trackingUri: (settings.tracking_uri ?? '').replace(/\/+$/, ''), headers, secrets, timeoutMs: settings.timeout };
}

/** Asks the registry which version `model` designates now (a fixed version, the newest in a stage, an alias's target, or the newest of all). */
export async function resolveModelVersion(conn: RegistryConnection, model: RegisteredModel, signal: AbortSignal): Promise<ModelVersion> {
  const { name } = model;
  let found: WireVersion | undefined;
  if (model.alias !== undefined) {
    found = (await call<{ model_version?: WireVersion }>(conn, 'GET', 'registered-models/alias', { name, alias: model.alias }, signal)).model_version;
  } else if (model.stage !== undefined) {
    const versions = await latestVersions(conn, name, [model.stage], signal);
    // Stage names are matched without regard to case, as MLflow does.
    found = newest(versions.filter((v) => v.current_stage?.toLowerCase() === model.stage!.toLowerCase()));
    if (!found) throw unresolvable(`no version of model '${name}' is in stage '${model.stage}'`);
  } else if (model.version === 'latest') {
    found = newest(await latestVersions(conn, name, undefined, signal));
    if (!found) throw unresolvable(`model '${name}' has no versions`);
  } else {
    found = (await call<{ model_version?: WireVersion }>(conn, 'GET', 'model-versions/get', { name, version: model.version! }, signal)).model_version;
  }
  if (found?.version === undefined) throw unresolvable(`the registry's answer for model '${name}' names no version`);
  // A version whose registration is pending or failed has no model to serve yet.
  if (found.status !== undefined && found.status !== 'READY') throw unresolvable(`version ${found.version} of model '${name}' is ${found.status}, not READY`);
  return { name, version: String(found.version), tags: tagsOf(found) ?? (await versionTags(conn, name, String(found.version), signal)) };
}

/** Latest-versions answers may leave tags out (GitLab's do); the version itself is then asked for them. */
async function versionTags(conn: RegistryConnection, name: string, version: string, signal: AbortSignal): Promise<Record<string, string>> {
  const { model_version } = await call<{ model_version?: WireVersion }>(conn, 'GET', 'model-versions/get', { name, version }, signal);
  return (model_version && tagsOf(model_version)) ?? {};
}

function latestVersions(conn: RegistryConnection, name: string, stages: string[] | undefined, signal: AbortSignal): Promise<WireVersion[]> {
  return call<{ model_versions?: WireVersion[] }>(conn, 'POST', 'registered-models/get-latest-versions', stages ? { name, stages } : { name }, signal).then(
    (answer) => answer.model_versions ?? [],
  );
}

const versionNumber = (v: WireVersion) => Number.parseFloat(String(v.version));

function newest(versions: WireVersion[]): WireVersion | undefined {
  return versions.reduce<WireVersion | undefined>((best, v) => (best === undefined || versionNumber(v) > versionNumber(best) ? v : best), undefined);
}

function tagsOf(version: WireVersion): Record<string, string> | undefined {
  if (!Array.isArray(version.tags)) return undefined;
  return Object.fromEntries(version.tags.filter((t) => typeof t?.key === 'string').map((t) => [t.key!, String(t.value ?? '')]));
}

async function call<T>(conn: RegistryConnection, method: 'GET' | 'POST', api: string, params: Record<string, unknown>, parent: AbortSignal): Promise<T> {
  let url = `${conn.trackingUri}/api/2.0/mlflow/${api}`;
  if (method === 'GET') url += `?${new URLSearchParams(params as Record<string, string>)}`;
  const signal = AbortSignal.any([parent, AbortSignal.timeout(conn.timeoutMs)]);
  const res = await upstreamRequest({
    url,
    method,
    headers: method === 'POST' ? { ...conn.headers, 'content-type': 'application/json' } : conn.headers,
    body: method === 'POST' ? JSON.stringify(params) : undefined,
    signal,
    timeoutMs: conn.timeoutMs,
    provider: REGISTRY,
    secrets: conn.secrets,
  });
  return readJson<T>(res, REGISTRY, signal);
}

const unresolvable = (message: string) => new GatewayError(502, message, { code: 'model_version_unresolved' });
