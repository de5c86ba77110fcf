// Who is rolling out a config: the admin key's holder, or a CI job proving itself with an OIDC
// id_token that a `gitops.deployers` entry admits. What is recorded names the job precisely
// (GitLab: project, pipeline, job and the user who ran it); the token itself is never stored.
import type { FastifyRequest } from 'fastify';
import type { JWTPayload } from 'jose';
import { credentialOf } from '../../access/authenticate.js';
import { claimsMatch, claimText, type OidcVerifier } from '../../access/oidc.js';
import { looksLikeJwt } from '../../access/secrets.js';
import type { GatewayConfig } from '../../config/schema.js';
import { GatewayError } from '../../core/errors.js';
import { adminActor } from '../../surfaces/admin/auth.js';

export interface Applier {
  /** For people and the history: "admin:alice", "gitlab-ci:group/project pipeline 12 job 34 (alice)". */
  appliedBy: string;
  /** Stored as JSON beside the version: the token's job claims, or the admin's name; always the address. */
  identity: Record<string, unknown>;
}

/** GitLab's id_token claims worth keeping with a rollout (none is a secret). */
const JOB_CLAIMS = ['sub', 'project_path', 'namespace_path', 'pipeline_id', 'pipeline_source', 'job_id', 'ref', 'ref_type', 'ref_protected', 'environment', 'user_login', 'user_email'] as const;

export async function configApplier(request: FastifyRequest, config: GatewayConfig, verifier: OidcVerifier): Promise<Applier> {
  const credential = credentialOf(request.headers);
  if (credential && looksLikeJwt(credential) && config.gitops.deployers.length > 0) {
    const { claims, issuer } = await verifier.verifiedClaims(credential, config.auth.oidc);
    const admitted = config.gitops.deployers.some((d) => (!d.issuer || d.issuer === issuer.issuer) && claimsMatch(d.match, claims));
    if (!admitted) {
      throw new GatewayError(403, `This token may not roll out configs: no gitops.deployers entry matches it (token subject '${claims.sub ?? 'unknown'}')`, {
        code: 'permission_denied',
      });
    }
    const details = Object.fromEntries(JOB_CLAIMS.flatMap((c) => (claimText(claims[c]) === undefined ? [] : [[c, claimText(claims[c])]])));
    return { appliedBy: describeToken(claims), identity: { kind: 'token', issuer: issuer.issuer, ...details, address: request.ip } };
  }
  const { actor, source } = adminActor(request, config.auth.admin_key);
  return { appliedBy: actor, identity: { kind: 'admin', address: source } };
}

function describeToken(claims: JWTPayload): string {
  const text = (name: string) => claimText(claims[name]);
  const project = text('project_path');
  if (!project) return `oidc:${claims.sub ?? 'unknown'}`;
  const parts = [`gitlab-ci:${project}`];
  if (text('pipeline_id')) parts.push(`pipeline ${text('pipeline_id')}`);
  if (text('job_id')) parts.push(`job ${text('job_id')}`);
  const user = text('user_login');
  return `${parts.join(' ')}${user ? ` (${user})` : ''}`;
}
