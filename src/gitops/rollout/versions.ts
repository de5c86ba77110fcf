// The `config_versions` table: every applied config, numbered. Inserting an applied version also writes
// its audit-log entry in the same transaction, so `/admin/audit` lists rollouts beside key changes.
import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { ConfigVersionRow, Database } from '../../store/tables.js';

export type ConfigVersion = Selectable<ConfigVersionRow>;
/** A version without its text: what history and polls read. */
export type VersionHeader = Omit<ConfigVersion, 'text'>;

export type VersionSource = 'api' | 'rollback' | 'file';

export interface NewVersion {
  text: string;
  appliedBy: string;
  source: VersionSource;
  message?: string;
  /** Identity details (token claims, address): stored as JSON. */
  identity: Record<string, unknown>;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const HEADER = ['version', 'sha256', 'applied_by', 'applied_at', 'source', 'message', 'identity'] as const;

/** Two replicas may insert at once; the loser of the primary-key race takes the next number. */
const INSERT_ATTEMPTS = 5;

export class ConfigVersions {
  constructor(private readonly db: Kysely<Database>) {}

  /** The newest version's header (a cheap read: no text), or undefined before the first. */
  latest(): Promise<VersionHeader | undefined> {
    return this.db.selectFrom('config_versions').select(HEADER).orderBy('version', 'desc').limit(1).executeTakeFirst();
  }

  /** The newest version recorded from a config file. */
  latestFromFile(): Promise<VersionHeader | undefined> {
    return this.db.selectFrom('config_versions').select(HEADER).where('source', '=', 'file').orderBy('version', 'desc').limit(1).executeTakeFirst();
  }

  header(version: number): Promise<VersionHeader | undefined> {
    return this.db.selectFrom('config_versions').select(HEADER).where('version', '=', version).executeTakeFirst();
  }

  get(version: number): Promise<ConfigVersion | undefined> {
    return this.db.selectFrom('config_versions').selectAll().where('version', '=', version).executeTakeFirst();
  }

  /** Newest first. */
  list(limit: number): Promise<VersionHeader[]> {
    return this.db.selectFrom('config_versions').select(HEADER).orderBy('version', 'desc').limit(limit).execute();
  }

  async insert(entry: NewVersion): Promise<ConfigVersion> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (tx) => {
          const top = await tx.selectFrom('config_versions').select((eb) => eb.fn.max('version').as('top')).executeTakeFirst();
          const row: ConfigVersion = {
            version: Number(top?.top ?? 0) + 1,
            text: entry.text,
            sha256: sha256(entry.text),
            applied_by: entry.appliedBy,
            applied_at: new Date().toISOString(),
            source: entry.source,
            message: entry.message ?? null,
            identity: JSON.stringify(entry.identity),
          };
          await tx.insertInto('config_versions').values(row).execute();
          // A config file read at start or on reload is nobody's action: only applies and rollbacks are audited.
          if (entry.source !== 'file') {
            const details = { version: row.version, sha256: row.sha256, source: row.source, message: row.message, identity: entry.identity };
            const source = typeof entry.identity.address === 'string' ? entry.identity.address : row.source;
            await tx.insertInto('audit_log').values({ at: row.applied_at, actor: row.applied_by, action: 'config.apply', target: `config@${row.version}`, source, details: JSON.stringify(details) }).execute();
          }
          return row;
        });
      } catch (err) {
        if (attempt >= INSERT_ATTEMPTS || !isUniqueViolation(err)) throw err;
      }
    }
  }
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || /UNIQUE constraint/.test(e.message ?? '');
}
