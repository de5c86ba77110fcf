// Opens the database a config names, for commands that work on it directly (`keys`, `db`). The
// config comes from --config or GATEHOUSE_CONFIG; GATEHOUSE_DATABASE_URL and --database override it.
import { hostname, userInfo } from 'node:os';
import { storageUrls } from '../access/control.js';
import { CHANGE_CHANNEL } from '../access/directory.js';
import type { Actor } from '../access/repository.js';
import { formatIssue } from '../config/issues.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigSchema } from '../config/schema.js';
import { openStore, type Store } from '../store/database.js';
import { openShared } from '../store/redis.js';

export interface StorageFlags {
  config?: string;
  database?: string;
}

export interface CliStorage {
  store: Store;
  /** Tells running gateways to reload keys now (they would within a second anyway). */
  announce(): Promise<void>;
  close(): Promise<void>;
}

export async function openCliStorage(flags: StorageFlags, env: NodeJS.ProcessEnv = process.env): Promise<CliStorage> {
  let config = ConfigSchema.parse({});
  if (flags.config) {
    // Provider secrets are not needed to manage keys, so unset variables are no problem here.
    const loaded = loadConfigFile(flags.config, env, { requireEnv: false });
    if (!loaded.config) throw new Error(`${flags.config} is not a valid config:\n${loaded.issues.map(formatIssue).join('\n')}`);
    config = loaded.config;
  }
  const urls = storageUrls(config, env);
  const store = await openStore(flags.database ?? urls.database);
  return {
    store,
    async announce() {
      if (!urls.redis) return;
      const shared = await openShared(urls.redis, config.storage.redis_prefix);
      await shared.publish(CHANGE_CHANNEL, String(Date.now())).finally(() => shared.close());
    },
    close: () => store.close(),
  };
}

export function cliActor(): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where it came from.
  }
  return { actor: `cli:${user}`, source: hostname() };
}
