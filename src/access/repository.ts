// Teams, keys and the audit log in the database. Every change writes its audit entry and bumps the
// access version in one transaction, so replicas reload exactly when something changed and the
// log never misses an action. Only the admin API and the `gatehouse keys` command call this; the
// request path reads the in-memory directory instead.
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Policy } from '../config/schema-access.js';
import type { AuditRow, Database, KeyRow, TeamRow } from '../store/tables.js';
import { newSecret } from './secrets.js';

/** Who did it and from where, for the audit log. */
export interface Actor {
  actor: string;
  source: string;
}

export interface KeyInput {
  name: string;
  team?: string;
  policy?: Policy;
  tags?: string[];
  expiresAt?: string;
}

export interface KeyView {
  id: string;
  name: string;
  prefix: string;
  team: string | null;
  policy: Policy;
  tags: string[];
  expires_at: string | null;
  revoked_at: string | null;
  previous_valid_until: string | null;
  created_at: string;
  updated_at: string;
}

export interface TeamView {
  id: string;
  name: string;
  policy: Policy;
  created_at: string;
  updated_at: string;
}

/** An audit log entry with its details parsed. */
export type AuditEntry = Omit<Selectable<AuditRow>, 'details'> & { details: unknown };

export class NotFound extends Error {}
export class Conflict extends Error {}

const now = () => new Date().toISOString();

export class AccessRepository {
  constructor(readonly db: Kysely<Database>) {}

  async version(): Promise<number> {
    const row = await this.db.selectFrom('access_version').select('version').where('id', '=', 1).executeTakeFirst();
    return row?.version ?? 0;
  }

  async teams(): Promise<TeamView[]> {
    const rows = await this.db.selectFrom('teams').selectAll().orderBy('name').execute();
    return rows.map(teamView);
  }

  async team(idOrName: string): Promise<TeamView> {
    const row = await this.findTeam(this.db, idOrName);
    if (!row) throw new NotFound(`no team '${idOrName}'`);
    return teamView(row);
  }

  createTeam(name: string, policy: Policy, by: Actor): Promise<TeamView> {
    return this.change(by, 'team.create', name, { policy }, async (tx) => {
      if (await this.findTeam(tx, name)) throw new Conflict(`team '${name}' exists`);
      const row: TeamRow = { id: randomUUID(), name, policy: JSON.stringify(policy), created_at: now(), updated_at: now() };
      await tx.insertInto('teams').values(row).execute();
      return teamView(row);
    });
  }

  updateTeam(idOrName: string, policy: Policy, by: Actor): Promise<TeamView> {
    return this.change(by, 'team.update', idOrName, { policy }, async (tx) => {
      const row = await this.findTeam(tx, idOrName);
      if (!row) throw new NotFound(`no team '${idOrName}'`);
      const updated = { ...row, policy: JSON.stringify(policy), updated_at: now() };
      await tx.updateTable('teams').set({ policy: updated.policy, updated_at: updated.updated_at }).where('id', '=', row.id).execute();
      return teamView(updated);
    });
  }

  /** Deletes a team and revokes its keys (a key without its team would silently lose the team's limits). */
  deleteTeam(idOrName: string, by: Actor): Promise<void> {
    return this.change(by, 'team.delete', idOrName, {}, async (tx) => {
      const row = await this.findTeam(tx, idOrName);
      if (!row) throw new NotFound(`no team '${idOrName}'`);
      await tx.updateTable('api_keys').set({ revoked_at: now(), team_id: null, updated_at: now() }).where('team_id', '=', row.id).execute();
      await tx.deleteFrom('teams').where('id', '=', row.id).execute();
    });
  }

  async keys(filter: { team?: string } = {}): Promise<KeyView[]> {
    let query = keysWithTeams(this.db);
    if (filter.team !== undefined) query = query.where('teams.name', '=', filter.team);
    const rows = await query.orderBy('api_keys.created_at').execute();
    return rows.map((r) => keyView(r, r.team_name));
  }

  async key(id: string): Promise<KeyView> {
    return this.keyIn(this.db, id);
  }

  /** Creates a key; the secret is in the result and nowhere else. */
  createKey(input: KeyInput, by: Actor): Promise<{ key: KeyView; secret: string }> {
    const { tags = [], policy = {} } = input;
    return this.change(by, 'key.create', input.name, { team: input.team, tags, expires_at: input.expiresAt }, async (tx) => {
      const team = input.team === undefined ? undefined : await this.ensureTeam(tx, input.team);
      const { secret, prefix, hash } = newSecret();
      const row: KeyRow = {
        id: randomUUID(),
        name: input.name,
        prefix,
        hash,
        previous_hash: null,
        previous_valid_until: null,
        team_id: team?.id ?? null,
        policy: JSON.stringify(policy),
        tags: JSON.stringify(tags),
        expires_at: input.expiresAt ?? null,
        revoked_at: null,
        created_at: now(),
        updated_at: now(),
      };
      await tx.insertInto('api_keys').values(row).execute();
      return { key: keyView(row, team?.name ?? null), secret };
    });
  }

  updateKey(id: string, patch: { policy?: Policy; tags?: string[]; expiresAt?: string | null; name?: string }, by: Actor): Promise<KeyView> {
    return this.change(by, 'key.update', id, patch, async (tx) => {
      await this.requireKey(tx, id);
      await tx
        .updateTable('api_keys')
        .set({
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.policy === undefined ? {} : { policy: JSON.stringify(patch.policy) }),
          ...(patch.tags === undefined ? {} : { tags: JSON.stringify(patch.tags) }),
          ...(patch.expiresAt === undefined ? {} : { expires_at: patch.expiresAt }),
          updated_at: now(),
        })
        .where('id', '=', id)
        .execute();
      return undefined;
    }).then(() => this.key(id));
  }

  revokeKey(id: string, by: Actor): Promise<void> {
    return this.change(by, 'key.revoke', id, {}, async (tx) => {
      await this.requireKey(tx, id);
      await tx.updateTable('api_keys').set({ revoked_at: now(), updated_at: now() }).where('id', '=', id).execute();
    });
  }

  /** Gives the key a new secret; the old one keeps working for `graceMs` (0: stops at once). */
  rotateKey(id: string, graceMs: number, by: Actor): Promise<{ key: KeyView; secret: string }> {
    return this.change(by, 'key.rotate', id, { grace_ms: graceMs }, async (tx) => {
      const row = await this.requireKey(tx, id);
      if (row.revoked_at) throw new Conflict(`key '${id}' is revoked`);
      const { secret, prefix, hash } = newSecret();
      const validUntil = graceMs > 0 ? new Date(Date.now() + graceMs).toISOString() : null;
      await tx
        .updateTable('api_keys')
        .set({ hash, prefix, previous_hash: validUntil ? row.hash : null, previous_valid_until: validUntil, updated_at: now() })
        .where('id', '=', id)
        .execute();
      return { key: await this.keyIn(tx, id), secret };
    });
  }

  async audit(limit = 100, filter: { target?: string } = {}): Promise<AuditEntry[]> {
    let query = this.db.selectFrom('audit_log').selectAll();
    if (filter.target) query = query.where('target', '=', filter.target);
    const rows = await query.orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details) }));
  }

  /** Runs one change with its audit entry and the version bump, all or nothing. */
  private change<T>(by: Actor, action: string, target: string, details: unknown, work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (tx) => {
      const result = await work(tx);
      await tx.insertInto('audit_log').values({ at: now(), actor: by.actor, source: by.source, action, target, details: JSON.stringify(details ?? {}) }).execute();
      await tx.updateTable('access_version').set((eb) => ({ version: eb('version', '+', 1) })).where('id', '=', 1).execute();
      return result;
    });
  }

  private findTeam(db: Kysely<Database>, idOrName: string): Promise<TeamRow | undefined> {
    return db.selectFrom('teams').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
  }

  /** A key may name a team declared only in config: the team gets a row (with no policy of its own) so keys can refer to it. */
  private async ensureTeam(tx: Transaction<Database>, name: string): Promise<TeamRow> {
    const found = await this.findTeam(tx, name);
    if (found) return found;
    const row: TeamRow = { id: randomUUID(), name, policy: '{}', created_at: now(), updated_at: now() };
    await tx.insertInto('teams').values(row).execute();
    return row;
  }

  private async requireKey(tx: Transaction<Database>, id: string): Promise<KeyRow> {
    const row = await tx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound(`no key '${id}'`);
    return row;
  }

  private async keyIn(db: Kysely<Database>, id: string): Promise<KeyView> {
    const row = await keysWithTeams(db).where('api_keys.id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound(`no key '${id}'`);
    return keyView(row, row.team_name);
  }
}

/** Key rows with their team's name. */
const keysWithTeams = (db: Kysely<Database>) => db.selectFrom('api_keys').leftJoin('teams', 'teams.id', 'api_keys.team_id').selectAll('api_keys').select('teams.name as team_name');

function teamView(row: TeamRow): TeamView {
  return { id: row.id, name: row.name, policy: JSON.parse(row.policy) as Policy, created_at: row.created_at, updated_at: row.updated_at };
}

/** A key as listings show it: never the hash. */
function keyView(row: KeyRow, team: string | null): KeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    team,
    policy: JSON.parse(row.policy) as Policy,
    tags: JSON.parse(row.tags) as string[],
    expires_at: row.expires_at,
    revoked_at: row.revoked_at,
    previous_valid_until: row.previous_valid_until,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Everything the directory caches: rows with hashes, for the in-memory lookup. */
export async function loadIdentities(db: Kysely<Database>): Promise<{ teams: TeamRow[]; keys: KeyRow[]; version: number }> {
  return db.transaction().execute(async (tx) => {
    const version = (await tx.selectFrom('access_version').select('version').where('id', '=', 1).executeTakeFirst())?.version ?? 0;
    const teams = await tx.selectFrom('teams').selectAll().execute();
    const keys = await tx.selectFrom('api_keys').selectAll().where('revoked_at', 'is', null).execute();
    return { teams, keys, version };
  });
}
