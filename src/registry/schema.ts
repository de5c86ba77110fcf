// Config of models served from an MLflow model registry: the `mlflow:` section (which tracking
// server, how to authenticate, how often to poll) and endpoints of endpoint_type `mlflow-model`.
// normalize.ts gathers those endpoints (written under `endpoints:`, or under `routes:` with
// `route_type: mlflow-model` as MLflow articles write them) into `model_endpoints`.
import { z } from 'zod';
import { duration } from '../config/duration.js';

export const MODEL_ENDPOINT_TYPE = 'mlflow-model';

const servingUrl = z
  .string()
  .regex(/^https?:\/\/\S+$/, { message: 'serving_url is an http(s) URL template such as http://models.internal/{name}/{version}' })
  .meta({
    description:
      'Base URL of the model server of each version, with {name} and {version} filled in (e.g. http://{name}-v{version}.models.svc:8080). Requests go to {serving_url}/invocations.',
  });

const servingUrlTag = z
  .string()
  .min(1)
  .meta({ description: "A model-version tag that holds the version's serving URL (e.g. serving_url). When the resolved version carries it, it wins over serving_url." });

const pollInterval = (what: string) => duration(`How often the registry is asked which version ${what}. Default 30s.`, { positive: true });

export const RegistrySettingsSchema = z
  .strictObject({
    tracking_uri: z.url({ message: 'tracking_uri must be a URL such as https://mlflow.example.com' }).optional().meta({
      description:
        "The MLflow tracking server, as MLFLOW_TRACKING_URI names it; it may carry a path (GitLab's registry: https://gitlab.example.com/api/v4/projects/<id>/ml/mlflow). Default: the MLFLOW_TRACKING_URI environment variable.",
    }),
    token: z.string().min(1).optional().meta({ description: 'Bearer token for the registry ($VAR reads the environment). Default: MLFLOW_TRACKING_TOKEN.' }),
    username: z.string().min(1).optional().meta({ description: 'Basic-auth user for the registry. Default: MLFLOW_TRACKING_USERNAME.' }),
    password: z.string().min(1).optional().meta({ description: 'Basic-auth password for the registry ($VAR reads the environment). Default: MLFLOW_TRACKING_PASSWORD.' }),
    poll_interval: pollInterval('each model is at').prefault('30s'),
    timeout: duration('Upper bound on one registry request. Default 10s.', { positive: true }).prefault('10s'),
    serving_url: servingUrl.optional(),
    serving_url_tag: servingUrlTag.optional(),
  })
  .meta({ description: 'The MLflow model registry that mlflow-model endpoints resolve their versions from (an MLflow tracking server, or GitLab\'s MLflow-compatible registry).' });

const RegisteredModelSchema = z
  .strictObject({
    name: z.string().min(1).meta({ description: 'The registered model name.' }),
    version: z
      .union([z.int().positive(), z.string().regex(/^(latest|[\w.+-]+)$/, { message: 'a version is a number, a version string such as 1.2.0, or "latest"' })])
      .transform(String)
      .optional()
      .meta({ description: 'A fixed version (3, or a version string such as 1.2.0 in GitLab), or "latest" for the newest one.' }),
    stage: z.string().min(1).optional().meta({ description: 'Serve the newest version in this stage (Production, Staging), as MLflow stages promote.' }),
    alias: z.string().min(1).optional().meta({ description: 'Serve the version this alias points to (e.g. champion), as MLflow aliases promote.' }),
  })
  .superRefine((model, ctx) => {
    const given = (['version', 'stage', 'alias'] as const).filter((key) => model[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', message: given.length === 0 ? 'give one of version, stage or alias' : `give one of version, stage or alias, not ${given.join(' and ')}` });
    }
  })
  .meta({ description: 'The registered model and which of its versions to serve: exactly one of version, stage or alias.' });

/** The shared pieces of an endpoint, passed in by schema.ts (which owns them) so that the two modules do not import each other. */
export interface EndpointParts<L extends z.ZodType> {
  name: z.ZodType<string>;
  path: z.ZodType<string>;
  limit: L;
}

export const modelEndpointSchema = <L extends z.ZodType>({ name, path, limit }: EndpointParts<L>) =>
  z
    .strictObject({
      name,
      endpoint_type: z.literal(MODEL_ENDPOINT_TYPE).meta({ description: 'mlflow-model: a model from the MLflow model registry, invoked with MLflow\'s scoring payloads.' }),
      model: RegisteredModelSchema,
      serving_url: servingUrl.optional(),
      serving_url_tag: servingUrlTag.optional(),
      poll_interval: pollInterval('this model is at').optional(),
      limit: limit.optional(),
      path: path.optional(),
      timeout: duration("Upper bound on the wait for the model server's first byte and on any pause within its answer; over it the gateway answers 504. Default 300s.", {
        positive: true,
      }).prefault(300),
    })
    .meta({ description: 'An endpoint serving a registered MLflow model: the version comes from the registry and follows promotions without a restart.' });

export type RegistrySettings = z.infer<typeof RegistrySettingsSchema>;
export type RegisteredModel = z.infer<typeof RegisteredModelSchema>;

/** What a model reference asks for, for people: "churn@champion", "churn (stage Production)", "churn version 3". */
export function describeRegisteredModel({ name, alias, stage, version }: RegisteredModel): string {
  if (alias !== undefined) return `${name}@${alias}`;
  if (stage !== undefined) return `${name} (stage ${stage})`;
  return `${name} version ${version}`;
}
