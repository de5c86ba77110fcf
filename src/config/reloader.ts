// Hot reload: the config file and its prompts folder are watched (and SIGHUP triggers a reload too).
// A valid new config is swapped in atomically; an invalid one (a bad prompt file included) is
// refused with its reasons and the old one stays.
// Requests read the current runtime once when they start, so in-flight ones finish on the old one.
//
// A config applied through the admin API (src/gitops/rollout) goes through the same checks and the
// same swap. It overrides the file until the file's text changes: a reload of an unchanged file
// rebuilds the applied config (so secrets referenced by file path are read again), a changed file
// wins and is reported to `onFileChanged` (the rollout records it as a new version).
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { LimiterRegistry } from '../access/window-limiter.js';
import type { ResponseCache } from '../cache/service.js';
import { buildRuntime, type GatewayState, type Runtime } from '../core/runtime.js';
import { promptsDir } from '../prompts/load.js';
import { formatIssue, type ConfigIssue } from './issues.js';
import { loadConfigText, readConfigFile, type SkippedEndpoint } from './load.js';
import type { GatewayConfig } from './schema.js';

export interface ReloadOutcome {
  ok: boolean;
  /** Why the new config was refused, each as file:line:column: path: reason. */
  issues: string[];
}

/** A config checked and built, ready to be swapped in. */
export interface PreparedConfig {
  config: GatewayConfig;
  runtime: Runtime;
  skipped: SkippedEndpoint[];
}

/** Server settings the running listener keeps until a restart. */
const RESTART_ONLY = ['port', 'host', 'body_limit', 'trust_proxy'] as const;

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

export class ConfigReloader {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private debounceMs = 150;
  /** The prompts folder being watched, and its watcher; it follows `prompts.dir` across reloads. */
  private promptsWatch?: { dir: string; watcher: FSWatcher };
  /** The file's text when it was last loaded (undefined if it could not be read). */
  private file_?: { text: string; sha256: string };
  /** Config text applied through the admin API, in force until the file changes. */
  private applied?: { text: string; label: string };
  /** Told when a changed file was loaded and swapped in. */
  onFileChanged?: (text: string) => void;

  constructor(
    private readonly file: string,
    private readonly state: GatewayState,
    private readonly limiters: LimiterRegistry,
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly cache?: ResponseCache,
  ) {
    const read = readConfigFile(file);
    if ('text' in read) this.file_ = { text: read.text, sha256: digest(read.text) };
  }

  /** The config file's text as last loaded. */
  get fileText(): string | undefined {
    return this.file_?.text;
  }

  reload(trigger: string): ReloadOutcome {
    const read = readConfigFile(this.file);
    if ('issue' in read) return this.refuse(trigger, [formatIssue(read.issue)]);
    const sha256 = digest(read.text);
    const changed = sha256 !== this.file_?.sha256;
    if (this.applied && !changed) return this.install(this.applied.text, this.applied.label, trigger);
    const outcome = this.install(read.text, this.file, trigger);
    if (!outcome.ok) return outcome;
    this.file_ = { text: read.text, sha256 };
    this.applied = undefined;
    if (changed) this.onFileChanged?.(read.text);
    return outcome;
  }

  /** Checks config text exactly as `gatehouse validate` does and builds its runtime, without swapping it in. */
  prepare(text: string, label: string): { prepared: PreparedConfig } | { issues: ConfigIssue[] } {
    const result = loadConfigText(text, label, this.env, { baseDir: dirname(resolve(this.file)) });
    if (!result.config) return { issues: result.issues };
    try {
      const runtime = buildRuntime(result.config, label, this.limiters, { cache: this.cache, prompts: result.prompts });
      return { prepared: { config: result.config, runtime, skipped: result.skipped ?? [] } };
    } catch (err) {
      return { issues: [{ file: label, line: 1, column: 1, path: '(config)', message: (err as Error).message }] };
    }
  }

  /**
   * Swaps a prepared config in. `applied` is its text when it came through the admin API (or from
   * another replica): it then stays in force over the file until the file changes.
   */
  commit(prepared: PreparedConfig, trigger: string, applied?: { text: string; label: string }): void {
    const previous = this.state.current.config;
    this.state.swap(prepared.runtime);
    if (applied) this.applied = applied;
    const { endpoints, routes } = prepared.config;
    this.log.info(
      {
        trigger,
        source: prepared.runtime.source,
        endpoints: endpoints.length,
        routes: routes.length,
        prompts: prepared.runtime.prompts.size,
        skipped: prepared.skipped.map((s) => s.name),
      },
      'config reloaded',
    );
    this.applyServerSettings(previous, prepared.config);
    if (this.watcher) this.watchPrompts();
  }

  /** Watches the file's folder, since editors and Kubernetes config maps replace files by renaming. */
  watch(debounceMs = 150): void {
    if (this.watcher) return;
    this.debounceMs = debounceMs;
    const target = resolve(this.file);
    const name = basename(target);
    this.watcher = watch(dirname(target), (_event, changed) => {
      // `..data` is the symlink a config map swaps; other files in the folder are not ours.
      if (changed && changed !== name && !changed.startsWith('..')) return;
      this.schedule('file change');
    });
    this.watcher.on('error', (err) => this.log.warn({ err: err.message }, 'config watch failed; SIGHUP still reloads'));
    this.watchPrompts();
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
    this.promptsWatch?.watcher.close();
    this.promptsWatch = undefined;
  }

  /** Several events of one save (or of a folder sync) make one reload. */
  private schedule(trigger: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(trigger), this.debounceMs);
  }

  /** Watches the running config's prompts folder: any change in it reloads the config with its prompts. */
  private watchPrompts(): void {
    const dir = promptsDir(this.state.current.config, this.file);
    if (dir === this.promptsWatch?.dir) return;
    this.promptsWatch?.watcher.close();
    this.promptsWatch = undefined;
    if (!dir) return;
    try {
      const watcher = watch(dir, () => this.schedule('prompt change'));
      watcher.on('error', (err) => this.log.warn({ err: err.message, dir }, 'prompts watch failed; SIGHUP still reloads'));
      this.promptsWatch = { dir, watcher };
    } catch (err) {
      this.log.warn({ err: (err as Error).message, dir }, 'cannot watch the prompts folder; SIGHUP still reloads');
    }
  }

  private install(text: string, label: string, trigger: string): ReloadOutcome {
    const checked = this.prepare(text, label);
    if ('issues' in checked) return this.refuse(trigger, checked.issues.map(formatIssue));
    this.commit(checked.prepared, trigger);
    return { ok: true, issues: [] };
  }

  private refuse(trigger: string, issues: string[]): ReloadOutcome {
    this.log.error({ trigger, file: this.file, issues }, `config reload refused; the running config stays:\n${issues.join('\n')}`);
    return { ok: false, issues };
  }

  /** The log level follows the file (unless GATEHOUSE_LOG_LEVEL pins it); listener settings need a restart. */
  private applyServerSettings(previous: GatewayConfig, next: GatewayConfig): void {
    if (next.server.log_level !== previous.server.log_level && !this.env.GATEHOUSE_LOG_LEVEL) this.log.level = next.server.log_level;
    const pending = RESTART_ONLY.filter((key) => next.server[key] !== previous.server[key]);
    if (pending.length > 0) this.log.warn({ settings: pending.map((k) => `server.${k}`) }, 'these settings changed and take effect on restart');
  }
}
