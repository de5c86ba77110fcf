// The `gitops:` config section: who may roll out configs through PUT /admin/config besides the
// admin key (GitLab CI jobs by their id_token claims), and how often replicas check for a newer
// applied version when a Redis notice was missed.
import { z } from 'zod';
import { duration } from '../config/duration.js';

export const DeployerSchema = z
  .strictObject({
    issuer: z.url().optional().meta({
      description: 'Only tokens of this issuer (one of auth.oidc). Left out: any issuer configured under auth.oidc.',
    }),
    match: z
      .record(z.string(), z.union([z.string(), z.boolean(), z.array(z.string())]))
      .default({})
      .meta({
        description:
          'Claim name -> glob (or list of globs; any may match). Booleans match "true"/"false" claims. All listed claims must match, e.g. { project_path: platform/gateway-configs, ref_protected: true }.',
      }),
  })
  .meta({ description: 'An OIDC identity (e.g. a GitLab CI job) allowed to apply and roll back configs.' });

export const GitopsSchema = z
  .strictObject({
    deployers: z.array(DeployerSchema).default([]).meta({
      description:
        'Tokens (verified against auth.oidc issuers) that may call PUT /admin/config and POST /admin/config/rollback. The admin key may always.',
    }),
    poll_interval: duration('How often each replica checks the database for a newer applied config, in case a Redis notice was missed. Default 5s.', {
      positive: true,
    }).prefault('5s'),
  })
  .meta({ description: 'Config rollout through the admin API (gatehouse apply, history, rollback); see docs/gitops.md.' });

export type GitopsConfig = z.infer<typeof GitopsSchema>;
export type Deployer = z.infer<typeof DeployerSchema>;
