// Hot reload: the config file and its prompts folder are watched (and SIGHUP triggers a reload too).
// A valid new config is swapped in atomically; an invalid one (a bad prompt file included) is
// refused with its reasons and the old one stays.
// Requests read the current runtime once when they start, so in-flight ones finish on the old one.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { LimiterRegistry } from '../access/window-limiter.js';
import type { ResponseCache } from '../cache/service.js';
import { buildRuntime, type GatewayState } from '../core/runtime.js';
import { promptsDir } from '../prompts/load.js';
import { formatIssue } from './issues.js';
import { loadConfigFile } from './load.js';
import type { GatewayConfig } from './schema.js';

export interface ReloadOutcome {
  ok: boolean;
  /** Why the new config was refused, each as file:line:column: path: reason. */
  issues: string[];
}

/** Server settings the running listener keeps until a restart. */
const RESTART_ONLY = ['port', 'host', 'body_limit', 'trust_proxy'] as const;

export class ConfigReloader {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private debounceMs = 150;
  /** The prompts folder being watched, and its watcher; it follows `prompts.dir` across reloads. */
  private promptsWatch?: { dir: string; watcher: FSWatcher };

  constructor(
    private readonly file: string,
    private readonly state: GatewayState,
    private readonly limiters: LimiterRegistry,
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly cache?: ResponseCache,
  ) {}

  reload(trigger: string): ReloadOutcome {
    const result = loadConfigFile(this.file, this.env);
    if (!result.config) return this.refuse(trigger, result.issues.map(formatIssue));
    const previous = this.state.current.config;
    try {
      // Built fully before the swap: a failure here leaves the running config untouched.
      this.state.swap(buildRuntime(result.config, this.file, this.limiters, { cache: this.cache, prompts: result.prompts }));
    } catch (err) {
      return this.refuse(trigger, [`${this.file}: ${(err as Error).message}`]);
    }
    const { endpoints, routes, server } = result.config;
    this.log.info(
      { trigger, file: this.file, endpoints: endpoints.length, routes: routes.length, prompts: result.prompts?.size, skipped: result.skipped?.map((s) => s.name) },
      'config reloaded',
    );
    this.applyServerSettings(previous, result.config);
    if (this.watcher) this.watchPrompts();
    return { ok: true, issues: [] };
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
