// Keeps one registry model's served version current, off the request path: a timer asks the
// registry every poll interval and the answer (version and serving URL) is held in memory, where
// requests read it. A failed poll keeps the last known version serving and is logged; a promotion
// (a stage transition, an alias moved) switches traffic at the next poll, with no restart.
import type { Logger } from 'pino';
import { resolveModelVersion, type ModelVersion, type RegistryConnection } from './client.js';
import { describeRegisteredModel, type RegisteredModel } from './schema.js';

export interface ServedVersion {
  version: string;
  /** The model server's scoring URL: {serving URL}/invocations. */
  invocationsUrl: string;
  /** MLflow's URI of the version, models:/<name>/<version>: the `model` of logs and metrics. */
  uri: string;
}

export interface ServingSpec {
  /** Template with {name} and {version}. */
  template?: string;
  /** Model-version tag holding the URL; wins over the template when the version has it. */
  tag?: string;
}

export interface WatcherEvents {
  /** The served version moved to another one (not on the first resolution). */
  changed(watcher: VersionWatcher): void;
  failed(watcher: VersionWatcher): void;
}

export class VersionWatcher {
  /** The version being served; absent until the registry first answered. */
  current?: ServedVersion;
  /** Why the last poll failed; cleared by a successful one. */
  lastError?: string;
  private timer?: NodeJS.Timeout;
  private controller?: AbortController;
  private log?: Logger;

  constructor(
    readonly endpoint: string,
    readonly model: RegisteredModel,
    private readonly connection: RegistryConnection,
    private readonly serving: ServingSpec,
    private readonly intervalMs: number,
    private readonly events?: WatcherEvents,
  ) {}

  /** What the config asks for, for messages. */
  describe(): string {
    return describeRegisteredModel(this.model);
  }

  /** Polls at once, then every interval. */
  start(log?: Logger): void {
    this.log = log;
    if (this.controller) return;
    this.controller = new AbortController();
    void this.poll();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.controller?.abort();
    this.controller = undefined;
  }

  /** Serves `version` until the first poll answers: a watcher that replaces another (a reload) keeps traffic flowing. */
  seed(version: ServedVersion | undefined): void {
    this.current ??= version;
  }

  private async poll(): Promise<void> {
    const controller = this.controller;
    if (!controller) return;
    try {
      this.apply(await resolveModelVersion(this.connection, this.model, controller.signal));
    } catch (err) {
      if (controller.signal.aborted) return;
      this.fail((err as Error).message);
    }
    if (this.controller !== controller) return;
    this.timer = setTimeout(() => void this.poll(), this.intervalMs);
    // Polls alone must not keep the process alive.
    this.timer.unref();
  }

  private apply(found: ModelVersion): void {
    const next: ServedVersion = { version: found.version, invocationsUrl: `${this.servingUrl(found)}/invocations`, uri: `models:/${found.name}/${found.version}` };
    const previous = this.current;
    this.current = next;
    if (this.lastError !== undefined) this.log?.info({ endpoint: this.endpoint, model: next.uri }, 'MLflow registry reachable again');
    this.lastError = undefined;
    if (previous?.version === next.version && previous.invocationsUrl === next.invocationsUrl) return;
    if (previous) this.events?.changed(this);
    this.log?.info(
      { endpoint: this.endpoint, model: next.uri, version: next.version, previous_version: previous?.version, serving_url: next.invocationsUrl },
      previous ? 'MLflow model version changed; traffic switched' : 'MLflow model version resolved',
    );
  }

  private fail(message: string): void {
    this.lastError = message;
    this.events?.failed(this);
    const fields = { endpoint: this.endpoint, model: this.describe(), error: message };
    if (this.current) this.log?.warn({ ...fields, version: this.current.version }, 'MLflow registry poll failed; the last known version keeps serving');
    else this.log?.error(fields, 'MLflow registry poll failed; the model has no version to serve yet');
  }

  /** The version's tag when configured and present, else the template. */
  private servingUrl(found: ModelVersion): string {
    const tagged = this.serving.tag ? found.tags[this.serving.tag] : undefined;
    if (tagged) {
      if (!/^https?:\/\/\S+$/.test(tagged)) throw new Error(`tag ${this.serving.tag} of version ${found.version} is not an http(s) URL`);
      return tagged.replace(/\/+$/, '');
    }
    if (!this.serving.template) {
      throw new Error(`version ${found.version} of model '${found.name}' has no tag ${this.serving.tag} and no serving_url template is configured`);
    }
    const fill = (key: string) => encodeURIComponent(key === 'name' ? found.name : found.version);
    return this.serving.template.replace(/\{(name|version)\}/g, (_, key: string) => fill(key)).replace(/\/+$/, '');
  }
}
