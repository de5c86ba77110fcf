// Errors about registry models that other surfaces raise (kept free of surface imports, so the
// pipeline can use them without an import cycle).
import { GatewayError } from '../core/errors.js';

/** A registry model named on an LLM API (/v1/*, Anthropic): say where it is served instead. */
export const registryModelOnLlmApi = (name: string) =>
  new GatewayError(400, `Endpoint '${name}' serves an MLflow registry model (mlflow-model): call POST /endpoints/${name}/invocations with an MLflow scoring payload`, {
    code: 'wrong_endpoint_type',
    param: 'model',
  });
