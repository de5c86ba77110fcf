// `gatehouse db migrate`: applies pending database migrations (the gateway also does on start).
// Opening the store migrates it; this command reports what was applied.
import { Command, Option } from 'commander';
import { openCliStorage, type StorageFlags } from './storage.js';

export function addDb(program: Command): void {
  const db = program.command('db').description('database tools').addHelpText('after', '\nExamples:\n  gatehouse db migrate --config gatehouse.yaml\n');
  db.command('migrate')
    .description('apply pending migrations to the database of --config (or --database)')
    .addOption(new Option('-c, --config <file>', 'config file naming storage.database').env('GATEHOUSE_CONFIG'))
    .option('--database <url>', 'database URL (overrides the config)')
    .addHelpText('after', '\nExamples:\n  gatehouse db migrate --config gatehouse.yaml\n  gatehouse db migrate --database postgres://gatehouse@db/gatehouse\n')
    .action(async (flags: StorageFlags) => {
      const storage = await openCliStorage(flags);
      try {
        const { where, migrated } = storage.store;
        process.stdout.write(`${where}: schema up to date${migrated.length ? ` (applied ${migrated.join(', ')})` : ' (nothing to apply)'}\n`);
      } finally {
        await storage.close();
      }
    });
}
