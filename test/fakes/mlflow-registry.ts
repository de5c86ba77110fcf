// A fake MLflow model registry and a fake fleet of model servers.
//
// The registry speaks MLflow's REST API 2.0 as a tracking server (or GitLab's MLflow-compatible
// registry, under a base path such as /api/v4/projects/42/ml/mlflow) serves it:
//   POST {base}/api/2.0/mlflow/registered-models/get-latest-versions {name, stages?} -> {model_versions}
//   GET  {base}/api/2.0/mlflow/registered-models/alias?name&alias                    -> {model_version}
//   GET  {base}/api/2.0/mlflow/model-versions/get?name&version                       -> {model_version}
// Errors are MLflow's {"error_code", "message"}. `down` makes every call a 503 (an outage); a set
// `token` makes calls without "Authorization: Bearer <token>" a 401. `omitTags` leaves tags out of
// latest-versions answers, as GitLab does.
//
// The model servers answer POST /models/{name}/{version}/invocations in MLflow's scoring protocol,
// with one prediction per input that names the version that served it.
import { startRecordingServer, type RecordedRequest, type RecordingServer, type Reply } from './recording-server.js';

interface Version {
  version: string;
  current_stage: string;
  status: string;
  tags: Record<string, string>;
}

export interface FakeRegistry extends RecordingServer<object> {
  down: boolean;
  omitTags: boolean;
  addVersion(model: string, version: string, opts?: { stage?: string; tags?: Record<string, string>; status?: string }): void;
  /** Moves `version` into `stage`, archiving the version that was there (as a promotion does). */
  transition(model: string, version: string, stage: string): void;
  setAlias(model: string, alias: string, version: string): void;
  /** Registry API calls received (the recorded requests under the API prefix). */
  calls(): RecordedRequest[];
}

const API = '/api/2.0/mlflow/';

export async function startFakeRegistry(opts: { base?: string; token?: string } = {}): Promise<FakeRegistry> {
  const base = opts.base ?? '';
  const models = new Map<string, Version[]>();
  const aliases = new Map<string, Map<string, string>>();
  const error = (status: number, code: string, message: string): Reply => ({ status, json: { error_code: code, message } });
  const wire = (name: string, v: Version, withTags = true) => ({
    name,
    version: v.version,
    current_stage: v.current_stage,
    status: v.status,
    aliases: [...(aliases.get(name) ?? [])].filter(([, target]) => target === v.version).map(([alias]) => alias),
    ...(withTags ? { tags: Object.entries(v.tags).map(([key, value]) => ({ key, value })) } : {}),
  });

  const server = await startRecordingServer<object>((req) => {
    if (!req.path.startsWith(`${base}${API}`)) return error(404, 'ENDPOINT_NOT_FOUND', `No API at ${req.path}`);
    if (fake.down) return error(503, 'TEMPORARILY_UNAVAILABLE', 'The registry is down');
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) return error(401, 'UNAUTHENTICATED', 'Credentials were not supplied or are invalid');
    const api = req.path.slice(base.length + API.length);
    const params = req.method === 'GET' ? Object.fromEntries(req.query) : (req.body ?? {});
    const versions = models.get(params.name);
    if (!versions) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${params.name} not found`);
    if (api === 'registered-models/get-latest-versions' && req.method === 'POST') {
      const stages: string[] | undefined = params.stages?.map((s: string) => s.toLowerCase());
      const latest = new Map<string, Version>();
      for (const v of versions) if (!stages || stages.includes(v.current_stage.toLowerCase())) latest.set(v.current_stage, v);
      return { json: { model_versions: [...latest.values()].map((v) => wire(params.name, v, !fake.omitTags)) } };
    }
    if (api === 'registered-models/alias' && req.method === 'GET') {
      const target = aliases.get(params.name)?.get(params.alias);
      const v = versions.find((x) => x.version === target);
      if (!v) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Registered model alias ${params.alias} not found.`);
      return { json: { model_version: wire(params.name, v) } };
    }
    if (api === 'model-versions/get' && req.method === 'GET') {
      const v = versions.find((x) => x.version === params.version);
      if (!v) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${params.name}, version=${params.version}) not found`);
      return { json: { model_version: wire(params.name, v) } };
    }
    return error(404, 'ENDPOINT_NOT_FOUND', `No API ${req.method} ${api}`);
  });

  const fake: FakeRegistry = {
    ...server,
    down: false,
    omitTags: false,
    addVersion(model, version, { stage = 'None', tags = {}, status = 'READY' } = {}) {
      const list = models.get(model) ?? [];
      list.push({ version, current_stage: stage, status, tags });
      models.set(model, list);
    },
    transition(model, version, stage) {
      for (const v of models.get(model) ?? []) {
        if (v.version === version) v.current_stage = stage;
        else if (v.current_stage === stage) v.current_stage = 'Archived';
      }
    },
    setAlias(model, alias, version) {
      const map = aliases.get(model) ?? new Map<string, string>();
      map.set(alias, version);
      aliases.set(model, map);
    },
    calls: () => server.requests.filter((r) => r.path.startsWith(`${base}${API}`)),
  };
  return fake;
}

/** Model servers for every registered version: POST /models/{name}/{version}/invocations. */
export async function startFakeModelServers(): Promise<RecordingServer<{ status?: number; json?: unknown; text?: string }>> {
  const FORMATS = ['inputs', 'instances', 'dataframe_split', 'dataframe_records'];
  return startRecordingServer<{ status?: number; json?: unknown; text?: string }>((req, b) => {
    if (b.status) return { status: b.status, json: b.json, text: b.text };
    const match = /^\/models\/([^/]+)\/([^/]+)\/invocations$/.exec(req.path);
    if (req.method !== 'POST' || !match) return { status: 404, json: { error_code: 'ENDPOINT_NOT_FOUND', message: 'Not found' } };
    const given = FORMATS.filter((f) => f in (req.body ?? {}));
    if (given.length !== 1) {
      return { status: 400, json: { error_code: 'BAD_REQUEST', message: `The input must be a JSON dictionary with exactly one of the input fields ${JSON.stringify(FORMATS)}.` } };
    }
    const body = req.body;
    const rows: unknown[] = body.inputs ?? body.instances ?? body.dataframe_records ?? body.dataframe_split.data;
    return { json: { predictions: rows.map(() => `${decodeURIComponent(match[1])} v${match[2]}`) } };
  });
}
