// Hot reload: the config file is watched (and SIGHUP triggers a reload too). A valid new config
// is swapped in atomically; an invalid one is refused with its reasons and the old one stays.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { LimiterRegistry } from '../access/window-limiter.js';
import { buildRuntime, type GatewayState } from '../core/runtime.js';
import { formatIssue } from './issues.js';
import { loadConfigFile } from './load.js';

export interface ReloadOutcome {
  ok: boolean;
  issues: string[];
}

export class ConfigReloader {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly state: GatewayState,
    private readonly limiters: LimiterRegistry,
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  reload(trigger: string): ReloadOutcome {
    const result = loadConfigFile(this.file, this.env);
    if (!result.config) {
      const issues = result.issues.map(formatIssue);
      this.log.error({ trigger, file: this.file, issues }, 'config reload refused; the running config stays');
      return { ok: false, issues };
    }
    try {
      this.state.swap(buildRuntime(result.config, this.file, this.limiters));
    } catch (err) {
      const issues = [`${this.file}: ${(err as Error).message}`];
      this.log.error({ trigger, file: this.file, issues }, 'config reload refused; the running config stays');
      return { ok: false, issues };
    }
    this.log.info({ trigger, file: this.file, endpoints: result.config.endpoints.length, routes: result.config.routes.length }, 'config reloaded');
    return { ok: true, issues: [] };
  }

  /** Watches the file's folder, since editors and `kubectl` config maps replace files by renaming. */
  watch(debounceMs = 150): void {
    const target = resolve(this.file);
    const name = basename(target);
    this.watcher = watch(dirname(target), (_event, changed) => {
      if (changed && changed !== name && !changed.startsWith('..')) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reload('file change'), debounceMs);
    });
    this.watcher.on('error', (err) => this.log.warn({ err: err.message }, 'config watch failed; SIGHUP still reloads'));
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }
}
