// MLflow's scoring protocol (POST /invocations): canonical inputs -> one of its payload formats,
// and its {"predictions": ...} answers -> texts or vectors.
import { GatewayError } from '../../core/errors.js';

export const PAYLOAD_FORMATS = ['inputs', 'dataframe_split', 'dataframe_records', 'instances'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

/** The request body: the inputs in the configured format, the request's other parameters as MLflow `params`. */
export function scoringPayload(format: PayloadFormat, column: string, inputs: unknown[], params: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (format === 'inputs') body.inputs = inputs;
  else if (format === 'instances') body.instances = inputs;
  else if (format === 'dataframe_split') body.dataframe_split = { columns: [column], data: inputs.map((input) => [input]) };
  else body.dataframe_records = inputs.map((input) => ({ [column]: input }));
  if (Object.keys(params).length > 0) body.params = params;
  return body;
}

const invalid = (detail: string) =>
  new GatewayError(502, `Upstream mlflow-model-serving returned predictions the gateway cannot read: ${detail}`, { code: 'upstream_invalid_response' });

function predictionsOf(response: unknown): unknown {
  if (typeof response !== 'object' || response === null || !('predictions' in response)) throw invalid('the response has no "predictions" key');
  return (response as { predictions: unknown }).predictions;
}

/**
 * Text predictions: a list of strings, a list of one-column records (a DataFrame's output), or, as
 * MLflow's gateway reads them, a dict with a single key or a "choices" key holding that list.
 */
export function textPredictions(response: unknown): string[] {
  let predictions = predictionsOf(response);
  if (isRecord(predictions)) {
    const values = Object.values(predictions);
    predictions = 'choices' in predictions ? predictions.choices : values.length === 1 ? values[0] : predictions;
  }
  if (!Array.isArray(predictions) || predictions.length === 0) throw invalid('expected a non-empty list of strings');
  return predictions.map((item) => {
    if (typeof item === 'string') return item;
    const values = isRecord(item) ? Object.values(item) : [];
    if (values.length === 1 && typeof values[0] === 'string') return values[0];
    throw invalid('expected a string for each input');
  });
}

/** Embedding predictions: a list of vectors, or one vector for a single input. */
export function vectorPredictions(response: unknown): number[][] {
  const predictions = predictionsOf(response);
  if (!Array.isArray(predictions) || predictions.length === 0) throw invalid('expected a non-empty list of vectors');
  const vectors = predictions.every((v) => typeof v === 'number') ? [predictions] : predictions;
  for (const vector of vectors) {
    if (!Array.isArray(vector) || vector.length === 0 || !vector.every((v) => typeof v === 'number')) throw invalid('expected each prediction to be a non-empty list of numbers');
  }
  return vectors as number[][];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
