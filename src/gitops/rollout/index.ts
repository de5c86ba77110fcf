// Starts config rollout for a gateway: versions in its database, notices over its Redis, and the
// /admin/config routes. One call from createGateway.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AccessControl } from '../../access/control.js';
import type { ConfigReloader } from '../../config/reloader.js';
import type { GatewayState } from '../../core/runtime.js';
import { registerConfigAdmin } from '../../surfaces/admin/config.js';
import { ConfigRollout } from './rollout.js';
import { ConfigVersions } from './versions.js';

export { ConfigRollout } from './rollout.js';

export interface RolloutParts {
  app: FastifyInstance;
  state: GatewayState;
  reloader: ConfigReloader;
  access: AccessControl;
  log: Logger;
  configFile: string;
}

export async function startRollout({ app, state, reloader, access, log, configFile }: RolloutParts): Promise<ConfigRollout> {
  const rollout = new ConfigRollout(new ConfigVersions(access.store.db), reloader, state, access.shared, log, configFile);
  try {
    await rollout.start();
  } catch (err) {
    rollout.close();
    await access.close();
    throw err;
  }
  registerConfigAdmin(app, state, rollout, log);
  return rollout;
}
