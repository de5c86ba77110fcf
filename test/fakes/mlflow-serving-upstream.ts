// A fake MLflow model server, written from MLflow's scoring protocol (POST /invocations): the body
// holds exactly one of "inputs", "instances", "dataframe_split" {columns, data} or "dataframe_records"
// [{column: value}], plus optional "params"; the answer is {"predictions": ...}. Errors are MLflow's
// {"error_code", "message"}. Two models are served, by path prefix: /text (answers each input with
// "Echo: <input>") and /embed (one vector per input).
import { startRecordingServer, type RecordingServer, type Reply } from './recording-server.js';

export interface ServingBehaviour {
  status?: number;
  message?: string;
  headers?: Record<string, string>;
  /** Answer with this body instead of the model's predictions. */
  body?: unknown;
}

const FORMATS = ['inputs', 'instances', 'dataframe_split', 'dataframe_records'];

export async function startFakeMlflowServing(): Promise<RecordingServer<ServingBehaviour>> {
  return startRecordingServer<ServingBehaviour>((req, b) => {
    const error = (status: number, code: string, message: string): Reply => ({ status, json: { error_code: code, message }, headers: b.headers });
    if (b.status) return error(b.status, b.status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', b.message ?? `Fake model server error ${b.status}`);
    if (b.body) return { json: b.body };
    const model = /^\/(text|embed)\/invocations$/.exec(req.path)?.[1];
    if (req.method !== 'POST' || !model) return error(404, 'ENDPOINT_NOT_FOUND', 'Not found');
    const given = FORMATS.filter((f) => f in (req.body ?? {}));
    if (given.length !== 1) {
      return error(400, 'BAD_REQUEST', `The input must be a JSON dictionary with exactly one of the input fields ${JSON.stringify(FORMATS)}. Received dictionary with input fields: ${JSON.stringify(Object.keys(req.body ?? {}))}.`);
    }
    const inputs = readInputs(req.body);
    if (model === 'embed') return { json: { predictions: inputs.map((input) => [String(input).length, 0.5]) } };
    return { json: { predictions: inputs.map((input) => `Echo: ${input}`) } };
  });
}

function readInputs(body: any): unknown[] {
  if (body.inputs !== undefined) return body.inputs;
  if (body.instances !== undefined) return body.instances;
  if (body.dataframe_split !== undefined) return body.dataframe_split.data.map((row: unknown[]) => row[0]);
  return body.dataframe_records.map((record: Record<string, unknown>) => Object.values(record)[0]);
}
