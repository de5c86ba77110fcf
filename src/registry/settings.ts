// Loading the registry settings: references in the `mlflow:` section are resolved like provider
// settings ($VAR, ${VAR}, a secret file), and what the section leaves out comes from the variables
// MLflow's own clients read (MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN, MLFLOW_TRACKING_USERNAME and
// MLFLOW_TRACKING_PASSWORD), so a gateway configured like an MLflow client needs no more.
import type { Path } from '../config/issues.js';
import { resolveProviderConfig, type SecretContext } from '../config/secrets.js';

const FROM_ENV = {
  tracking_uri: 'MLFLOW_TRACKING_URI',
  token: 'MLFLOW_TRACKING_TOKEN',
  username: 'MLFLOW_TRACKING_USERNAME',
  password: 'MLFLOW_TRACKING_PASSWORD',
} as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Resolves the `mlflow:` section in place (before validation). The environment's defaults are only
 * taken when the config serves registry models. Secrets met are added to `ctx.secrets`; unset
 * variables the section names are reported through `ctx.missing`.
 */
export function resolveRegistrySettings(value: unknown, ctx: SecretContext): void {
  // A section that is not a mapping is left for the schema to report.
  if (!isObj(value) || ('mlflow' in value && !isObj(value.mlflow))) return;
  const models = value.model_endpoints;
  const servesModels = Array.isArray(models) && models.length > 0;
  if (!isObj(value.mlflow) && !servesModels) return;
  const written = isObj(value.mlflow) ? (resolveProviderConfig(value.mlflow, ['mlflow'], { ...ctx, secretKeys: ['token', 'password'] }) as Obj) : {};
  const settings: Obj = { ...written };
  if (servesModels) {
    for (const [key, variable] of Object.entries(FROM_ENV)) {
      const fromEnv = ctx.env[variable];
      if (settings[key] !== undefined || !fromEnv) continue;
      settings[key] = fromEnv;
      if (key === 'token' || key === 'password') ctx.secrets.add(fromEnv);
    }
  }
  value.mlflow = settings;
}

interface Problem {
  path: Path;
  message: string;
}

/**
 * What a served registry model needs besides its own schema: a registry to ask, and a way to find
 * each version's server. Without `requireEnv` (a CI check) the registry may come from the environment later.
 */
export function checkModelEndpoints(input: unknown, requireEnv: boolean): Problem[] {
  // Loose on purpose: this also runs on a config that failed the schema.
  const config = input as { mlflow?: unknown; model_endpoints?: unknown } | undefined;
  const models = Array.isArray(config?.model_endpoints) ? config.model_endpoints : [];
  const mlflow = isObj(config?.mlflow) ? config.mlflow : {};
  const problems: Problem[] = [];
  models.forEach((endpoint, i) => {
    if (!isObj(endpoint)) return;
    const at: Path = ['model_endpoints', i, 'endpoint_type'];
    const name = String(endpoint.name);
    if (!mlflow.tracking_uri && requireEnv) {
      problems.push({ path: at, message: `endpoint "${name}" serves a registry model: set mlflow.tracking_uri (or the MLFLOW_TRACKING_URI variable) to the MLflow tracking server` });
    }
    if (!endpoint.serving_url && !endpoint.serving_url_tag && !mlflow.serving_url && !mlflow.serving_url_tag) {
      problems.push({
        path: at,
        message: `endpoint "${name}" has no way to find its model server: set serving_url (a template with {name} and {version}) or serving_url_tag (a model-version tag holding the URL), here or under mlflow:`,
      });
    }
  });
  return problems;
}
