// Config rollout across replicas. Every apply, rollback and changed config file becomes a numbered
// version in the database; the replica that made it swaps it in and announces it on Redis, the
// others load it at once (and a low-rate poll catches a missed notice). A restart comes up on the
// newest version unless its config file is newer than anything recorded (see docs/gitops.md).
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ConfigIssue } from '../../config/issues.js';
import type { ConfigReloader, PreparedConfig } from '../../config/reloader.js';
import type { GatewayConfig } from '../../config/schema.js';
import { parseYaml } from '../../config/yaml-source.js';
import type { GatewayState } from '../../core/runtime.js';
import type { Shared } from '../../store/redis.js';
import type { Applier } from './deployer.js';
import { sha256, type ConfigVersion, type ConfigVersions, type VersionHeader, type VersionSource } from './versions.js';

export const CONFIG_CHANNEL = 'config-changed';

/** A config refused: the problems, located in the text as `gatehouse validate` reports them. */
export class ConfigRefused extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super('the config is not valid');
  }
}

export interface ApplyRequest {
  text: string;
  /** The file name errors are reported against (the CLI sends the path it read). */
  label: string;
  applier: Applier;
  source: Exclude<VersionSource, 'file'>;
  message?: string;
  /** Check only: nothing is recorded or swapped. */
  dryRun?: boolean;
}

export class ConfigRollout {
  /** The version in force here; 0 while the unrecorded file is (a database that cannot record). */
  private version = 0;
  /** A version that did not load here (e.g. a variable unset on this replica): not retried every poll. */
  private failed?: number;
  private timer?: NodeJS.Timeout;
  private syncing?: Promise<void>;
  private syncAgain = false;
  private closed = false;

  constructor(
    private readonly versions: ConfigVersions,
    private readonly reloader: ConfigReloader,
    private readonly state: GatewayState,
    private readonly shared: Shared | undefined,
    private readonly log: Logger,
    private readonly file: string,
  ) {}

  /** Decides what the gateway starts on, then follows changes from other replicas. */
  async start(): Promise<void> {
    const text = this.reloader.fileText;
    const [latest, fromFile] = await Promise.all([this.versions.latest(), this.versions.latestFromFile()]);
    const fileSha = text === undefined ? undefined : sha256(text);
    if (text !== undefined && fromFile?.sha256 !== fileSha && latest?.sha256 !== fileSha) {
      // The file is newer than anything recorded: it is the latest change.
      await this.recordFile(text);
    } else if (latest) {
      if (latest.sha256 === fileSha) this.version = latest.version;
      else await this.load(latest.version, 'start');
    }
    this.reloader.onFileChanged = (changed) => void this.recordFile(changed).catch((err: Error) => this.log.error({ err: err.message }, 'could not record the changed config file'));
    await this.shared?.subscribe(CONFIG_CHANNEL, () => void this.sync());
    this.schedulePoll();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /** The version in force here (0: the config file, unrecorded), with its record. */
  async current(): Promise<{ version: number; record?: VersionHeader; overridesFile: boolean }> {
    const record = this.version ? await this.versions.header(this.version) : undefined;
    const fileSha = this.reloader.fileText === undefined ? undefined : sha256(this.reloader.fileText);
    return { version: this.version, record, overridesFile: record !== undefined && record.sha256 !== fileSha };
  }

  history(limit: number): Promise<VersionHeader[]> {
    return this.versions.list(limit);
  }

  /** Checks, records, swaps in and announces a config. Throws ConfigRefused with located problems. */
  async apply(request: ApplyRequest): Promise<{ version?: ConfigVersion; unchanged: boolean }> {
    const prepared = this.check(request.text, request.label);
    const unchanged = sha256(request.text) === (await this.currentSha());
    if (request.dryRun) return { unchanged };
    const row = await this.versions.insert({ text: request.text, appliedBy: request.applier.appliedBy, source: request.source, message: request.message, identity: request.applier.identity });
    // Another replica's newer version may have arrived while this one was written.
    if (row.version > this.version) this.install(row, prepared, `${request.source} by ${request.applier.appliedBy}`);
    await this.shared?.publish(CONFIG_CHANNEL, String(row.version));
    return { version: row, unchanged };
  }

  async rollback(version: number, applier: Applier, message?: string): Promise<{ version?: ConfigVersion; unchanged: boolean } | undefined> {
    const target = await this.versions.get(version);
    if (!target) return undefined;
    return this.apply({ text: target.text, label: `config@${version}`, applier, source: 'rollback', message: message ?? `rollback to version ${version}` });
  }

  /** Validation as `gatehouse validate` does it, plus what an apply may not change. */
  private check(text: string, label: string): PreparedConfig {
    const checked = this.reloader.prepare(text, label);
    if ('issues' in checked) throw new ConfigRefused(checked.issues);
    const problems = rolloutProblems(text, label, checked.prepared.config, this.state.current.config);
    if (problems.length > 0) throw new ConfigRefused(problems);
    return checked.prepared;
  }

  private async currentSha(): Promise<string | undefined> {
    if (this.version) return (await this.versions.header(this.version))?.sha256;
    return this.reloader.fileText === undefined ? undefined : sha256(this.reloader.fileText);
  }

  private async recordFile(text: string): Promise<void> {
    const path = resolve(this.file);
    const host = hostname();
    const row = await this.versions.insert({ text, appliedBy: `file:${path}@${host}`, source: 'file', identity: { kind: 'file', file: path, host } });
    this.version = Math.max(this.version, row.version);
    await this.shared?.publish(CONFIG_CHANNEL, String(row.version));
  }

  /** Loads the newest version when it is newer than the one in force. One at a time; a notice during a sync runs one more. */
  private sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      const latest = await this.versions.latest();
      if (latest && latest.version > this.version && latest.version !== this.failed) await this.load(latest.version, 'another replica');
    })()
      .catch((err: Error) => this.log.error({ err: err.message }, 'config version check failed; the running config stays'))
      .finally(() => {
        this.syncing = undefined;
        if (this.syncAgain && !this.closed) {
          this.syncAgain = false;
          void this.sync();
        }
      });
    return this.syncing;
  }

  private async load(version: number, trigger: string): Promise<void> {
    const row = await this.versions.get(version);
    if (!row || row.version <= this.version) return;
    const checked = this.reloader.prepare(row.text, `config@${version}`);
    if ('issues' in checked) {
      this.failed = version;
      this.log.error({ version, issues: checked.issues.length }, `config version ${version} does not load on this replica; the running config stays`);
      return;
    }
    this.install(row, checked.prepared, trigger);
  }

  private install(row: ConfigVersion, prepared: PreparedConfig, trigger: string): void {
    this.reloader.commit(prepared, `config version ${row.version} (${trigger})`, { text: row.text, label: `config@${row.version}` });
    this.version = row.version;
  }

  /** Polls at the rate the config in force asks for (read each time, so a reload changes it). */
  private schedulePoll(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.sync().finally(() => this.schedulePoll());
    }, this.state.current.config.gitops.poll_interval);
    this.timer.unref();
  }
}

/** What validation allows but an apply must not do: move the data elsewhere, or lock itself out. */
function rolloutProblems(text: string, label: string, next: GatewayConfig, running: GatewayConfig): ConfigIssue[] {
  const source = parseYaml(text);
  const at = (key: string, message: string): ConfigIssue => ({ file: label, ...source.locate([key], true), path: key, message });
  const problems: ConfigIssue[] = [];
  if (JSON.stringify(next.storage) !== JSON.stringify(running.storage)) {
    problems.push(at('storage', 'storage settings cannot change through an apply (the database and Redis are opened at start); keep them as they are, or change the config file and restart'));
  }
  if (!next.auth.admin_key && next.gitops.deployers.length === 0) {
    problems.push(at('auth', 'the config turns the admin API off (no auth.admin_key and no gitops.deployers): no later apply or rollback could reach the gateway; change the config file instead'));
  }
  return problems;
}
