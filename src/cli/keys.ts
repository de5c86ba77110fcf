// `gatehouse keys create|list|revoke|rotate|hash`: manage virtual keys in the database a config
// names. Running gateways pick changes up within a second. A new secret is printed once, on stdout.
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { AccessRepository, type KeyView } from '../access/repository.js';
import { hashSecret, newSecret } from '../access/secrets.js';
import { durationMs, expiryOf } from '../surfaces/admin/bodies.js';
import { cliActor, openCliStorage, type StorageFlags } from './storage.js';

const storageOptions = (command: Command) =>
  command
    .addOption(new Option('-c, --config <file>', 'config file naming storage.database').env('GATEHOUSE_CONFIG'))
    .option('--database <url>', 'database URL (overrides the config)');

async function withRepo<T>(flags: StorageFlags, work: (repo: AccessRepository) => Promise<T>): Promise<void> {
  const storage = await openCliStorage(flags);
  try {
    await work(new AccessRepository(storage.store.db));
    await storage.announce();
  } finally {
    await storage.close();
  }
}

const keyLine = (k: KeyView) =>
  [k.id, k.prefix + '…', k.name, k.team ?? '-', k.revoked_at ? 'revoked' : k.expires_at && Date.parse(k.expires_at) < Date.now() ? 'expired' : 'active', k.tags.join(',') || '-'].join('  ');

function parseMetadata(pairs: string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(pairs.map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--metadata takes key=value, got "${pair}"`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }));
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('manage virtual API keys (in the database of --config)')
    .addHelpText('after', '\nExamples:\n  gatehouse keys create --config gatehouse.yaml --name ci --team platform\n  gatehouse keys list --config gatehouse.yaml\n');
  storageOptions(keys.command('create').description('create a key and print its secret (shown once)'))
    .requiredOption('-n, --name <name>', 'a name for people')
    .option('-t, --team <team>', 'the team the key belongs to')
    .option('-e, --expires <duration>', 'lifetime, e.g. 90d or 24h')
    .option('--tag <tag>', 'a tag (repeatable)', collect, [])
    .option('--metadata <key=value>', 'default request metadata (repeatable)', collect, [])
    .option('--allow-endpoint <glob>', 'endpoints the key may call (repeatable; default all)', collect, [])
    .option('--allow-route <glob>', 'routes the key may call (repeatable; default all)', collect, [])
    .option('--json', 'print the key as JSON')
    .addHelpText('after', '\nExamples:\n  gatehouse keys create --config gatehouse.yaml --name ci --team platform --expires 90d\n')
    .action((flags: StorageFlags & { name: string; team?: string; expires?: string; tag: string[]; metadata: string[]; allowEndpoint: string[]; allowRoute: string[]; json?: boolean }) =>
      withRepo(flags, async (repo) => {
        const allow = flags.allowEndpoint.length || flags.allowRoute.length ? { endpoints: flags.allowEndpoint.length ? flags.allowEndpoint : undefined, routes: flags.allowRoute.length ? flags.allowRoute : undefined } : undefined;
        const policy = JSON.parse(JSON.stringify({ allow, metadata: parseMetadata(flags.metadata) })) as object;
        const expiresAt = flags.expires === undefined ? undefined : (expiryOf({ expires_in: flags.expires }) ?? undefined);
        const { key, secret } = await repo.createKey({ name: flags.name, team: flags.team, tags: flags.tag, policy, expiresAt }, cliActor());
        process.stdout.write(flags.json ? `${JSON.stringify({ ...key, secret }, null, 2)}\n` : `${secret}\n`);
        if (!flags.json) process.stderr.write(`created key ${key.id} (${key.name}); the secret above is shown only this once\n`);
      }),
    );
  storageOptions(keys.command('list').description('list keys (never their secrets)'))
    .option('-t, --team <team>', 'only this team\'s keys')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  gatehouse keys list --config gatehouse.yaml --team platform\n')
    .action((flags: StorageFlags & { team?: string; json?: boolean }) =>
      withRepo(flags, async (repo) => {
        const list = await repo.keys({ team: flags.team });
        process.stdout.write(flags.json ? `${JSON.stringify(list, null, 2)}\n` : `${list.map(keyLine).join('\n')}${list.length ? '\n' : ''}`);
      }),
    );
  storageOptions(keys.command('revoke').description('revoke a key (every gateway refuses it within a second)').argument('<id>', 'key id'))
    .addHelpText('after', '\nExamples:\n  gatehouse keys revoke --config gatehouse.yaml 0b6c…\n')
    .action((id: string, flags: StorageFlags) => withRepo(flags, async (repo) => {
      await repo.revokeKey(id, cliActor());
      process.stderr.write(`revoked key ${id}\n`);
    }));
  storageOptions(keys.command('rotate').description('give a key a new secret; the old one works for --grace').argument('<id>', 'key id'))
    .option('-g, --grace <duration>', 'how long the old secret keeps working, e.g. 1h (default: stops now)')
    .addHelpText('after', '\nExamples:\n  gatehouse keys rotate --config gatehouse.yaml 0b6c… --grace 24h\n')
    .action((id: string, flags: StorageFlags & { grace?: string }) => withRepo(flags, async (repo) => {
      const { secret } = await repo.rotateKey(id, flags.grace === undefined ? 0 : durationMs(flags.grace, 'grace'), cliActor());
      process.stdout.write(`${secret}\n`);
      process.stderr.write(`rotated key ${id}; the new secret above is shown only this once\n`);
    }));
  keys
    .command('hash')
    .description('print the sha256 hash of a secret (read from stdin) for `keys:` in config; --generate makes a new secret too')
    .option('--generate', 'generate a new secret and print it with its hash')
    .addHelpText('after', '\nExamples:\n  gatehouse keys hash --generate\n  printf %s "$SECRET" | gatehouse keys hash\n')
    .action(async (flags: { generate?: boolean }) => {
      if (flags.generate) {
        const { secret, hash } = newSecret();
        process.stdout.write(`secret: ${secret}\nhash: sha256:${hash}\n`);
        return;
      }
      const lines = createInterface({ input: process.stdin });
      for await (const line of lines) if (line.trim()) process.stdout.write(`sha256:${hashSecret(line.trim())}\n`);
    });
}
