// The GitLab CI template: linted as GitLab CI (stages, needs, extends, rules, id_tokens), then its
// jobs' scripts are run locally, as a runner would, on a copy of examples/gitops: a merge-request
// pipeline (validate, eval, the diff comment posted to a fake GitLab API) and a default-branch
// pipeline (staging, canary, production) against two gateways this test starts, authenticating
// with id_tokens signed by a local issuer.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/config.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { expand, jobNames, lintPipeline, loadPipeline, resolveJob, ruleOutcome, type Doc, type Job } from '../helpers/gitlab-ci.js';
import { findAll, parseXml } from '../helpers/xml.js';

const TEMPLATE = join(ROOT, 'deploy/gitlab/gatehouse.gitlab-ci.yml');
const EXAMPLE = join(ROOT, 'examples/gitops');
const resolveInclude = (include: Doc) => {
  if (String(include.file ?? include.local ?? '').endsWith('gatehouse.gitlab-ci.yml')) return TEMPLATE;
  throw new Error(`unexpected include ${JSON.stringify(include)}`);
};

describe('deploy/gitlab/gatehouse.gitlab-ci.yml (lint)', () => {
  it('is well-formed GitLab CI on its own and included by the example', () => {
    expect(lintPipeline(loadPipeline(TEMPLATE, resolveInclude))).toEqual([]);
    const merged = loadPipeline(join(EXAMPLE, '.gitlab-ci.yml'), resolveInclude);
    expect(lintPipeline(merged)).toEqual([]);
    expect((merged.variables as Doc).GATEHOUSE_EVAL_SAMPLES).toBe('3');
    expect((merged.variables as Doc).GATEHOUSE_IMAGE).toMatch(/gatehouse/);
  });

  it('catches the mistakes it is there for', () => {
    const broken: Doc = {
      stages: ['validate'],
      a: { stage: 'deploy', script: ['x'], needs: ['nope'], extends: '.missing', rules: [{ iff: '$X' }, { if: '$X == ', when: 'sometimes' }], id_tokens: { T: { audience: 'x' } } },
    };
    const problems = lintPipeline(broken).join('\n');
    for (const expected of ['extends .missing', 'stage deploy is not in stages', 'needs nope', 'unknown key iff', 'when sometimes', 'rules[1].if', 'id_tokens.T']) expect(problems).toContain(expected);
  });
});

const AUDIENCE = 'https://gatehouse.example.com';
let issuerServer: Server;
let issuer: string;
let signingKey: CryptoKey;
let gitlab: Server;
let gitlabApi: string;
const notes: { method: string; url: string; headers: Record<string, unknown>; body: { body: string } }[] = [];
let staging: TestGateway;
let production: TestGateway;
let repo: string;
let baseSha: string;
let bin: string;
let pipeline: Doc;

/** The example's config text, with the test's issuer in place of gitlab.example.com. */
const exampleConfig = (name: string) => readFileSync(join(EXAMPLE, 'gateway-configs', name), 'utf8').replaceAll('https://gitlab.example.com', issuer);
/** Production before the rollout under review: all traffic on support-v1. */
const productionBefore = () => exampleConfig('production.yaml').replace('traffic_percentage: 0 }', 'traffic_percentage: 100 }').replace('name: support-v2, traffic_percentage: 100', 'name: support-v2, traffic_percentage: 0');

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  issuerServer = await listen((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/oauth/discovery/keys` }));
    if (req.url === '/oauth/discovery/keys') return res.end(JSON.stringify({ keys: [jwk] }));
    res.statusCode = 404;
    res.end('{}');
  });
  issuer = url(issuerServer);
  // A fake GitLab API: the notes of merge request !7 of project 42.
  gitlab = await listen(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET') return res.end(JSON.stringify(notes.filter((n) => n.method === 'POST').map((n, i) => ({ id: i + 1, body: n.body.body }))));
    notes.push({ method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(raw) });
    res.statusCode = req.method === 'POST' ? 201 : 200;
    res.end(JSON.stringify({ id: notes.length }));
  });
  gitlabApi = `${url(gitlab)}/api/v4`;

  // The repository: the default branch before the change, then the merge request's commit.
  repo = tempDir();
  cpSync(EXAMPLE, repo, { recursive: true });
  for (const name of ['staging.yaml', 'canary.yaml', 'production.yaml']) writeFileSync(join(repo, 'gateway-configs', name), exampleConfig(name));
  const finalProduction = exampleConfig('production.yaml');
  writeFileSync(join(repo, 'gateway-configs/production.yaml'), productionBefore());
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=ci', '-c', 'user.email=ci@example.com', ...args], { encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'production on support-v1');
  baseSha = git('rev-parse', 'HEAD');
  writeFileSync(join(repo, 'gateway-configs/production.yaml'), finalProduction);
  git('commit', '-qam', 'Promote support-v2');
  git('remote', 'add', 'origin', repo);

  // `gatehouse` on the PATH, as in the image.
  bin = join(tempDir(), 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'gatehouse'), `#!/bin/sh\nexec "${process.execPath}" --import "file://${ROOT}node_modules/tsx/dist/loader.mjs" "${ROOT}src/cli/main.ts" "$@"\n`);
  chmodSync(join(bin, 'gatehouse'), 0o755);

  staging = await startGateway(exampleConfig('staging.yaml').replace('traffic_percentage: 0 }', 'traffic_percentage: 100 }').replace('name: support-v2, traffic_percentage: 100', 'name: support-v2, traffic_percentage: 0'));
  production = await startGateway(productionBefore());
  pipeline = loadPipeline(join(repo, '.gitlab-ci.yml'), resolveInclude);
}, 60_000);

afterAll(async () => {
  await staging?.close();
  await production?.close();
  issuerServer?.close();
  gitlab?.close();
});

function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
const url = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/** Variables of a pipeline: the YAML's, then the project's CI/CD settings (which win), then GitLab's predefined ones. */
function pipelineVars(predefined: Record<string, string>): Record<string, string> {
  const project = { GATEHOUSE_STAGING_URL: staging.url, GATEHOUSE_PRODUCTION_URL: production.url, GATEHOUSE_GITLAB_TOKEN: 'glpat-test-token' };
  const common = { CI_PROJECT_DIR: repo, CI_PROJECT_ID: '42', CI_PROJECT_PATH: 'platform/gateway-configs', CI_DEFAULT_BRANCH: 'main', CI_API_V4_URL: gitlabApi, CI_JOB_TOKEN: 'job-token', CI_PIPELINE_ID: '1001', CI_COMMIT_SHORT_SHA: 'abc1234', CI_COMMIT_TITLE: 'Promote support-v2', GITLAB_USER_LOGIN: 'alice' };
  return { ...(pipeline.variables as Record<string, string>), ...project, ...common, ...predefined };
}

/** The jobs the pipeline holds, in stage order, with how they run. */
function jobsFor(vars: Record<string, string>): { name: string; job: Job; when: string }[] {
  const stages = pipeline.stages as string[];
  return jobNames(pipeline)
    .map((name) => ({ name, job: resolveJob(pipeline, name) }))
    .map(({ name, job }) => ({ name, job, ...ruleOutcome(job, vars) }))
    .filter((j) => j.runs)
    .sort((a, b) => stages.indexOf(a.job.stage!) - stages.indexOf(b.job.stage!));
}

let jobId = 500;
/** Runs a job's script lines as the runner does (bash, stop at the first failing line), with its variables and id_tokens. */
async function runJob(name: string, job: Job, vars: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string> = { ...vars, ...(job.variables ?? {}), CI_JOB_NAME: name, CI_JOB_ID: String(++jobId) };
  const environment = typeof job.environment === 'object' ? String((job.environment as Doc).name) : job.environment;
  if (environment) env.CI_ENVIRONMENT_NAME = String(environment);
  for (const [variable, spec] of Object.entries((job.id_tokens ?? {}) as Record<string, { aud: string }>)) {
    env[variable] = await new SignJWT({ project_path: 'platform/gateway-configs', namespace_path: 'platform', pipeline_id: env.CI_PIPELINE_ID, job_id: env.CI_JOB_ID, ref: 'main', ref_type: 'branch', ref_protected: 'true', user_login: 'alice', environment: env.CI_ENVIRONMENT_NAME })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(expand(spec.aud, env))
      .setSubject('project_path:platform/gateway-configs:ref_type:branch:ref:main')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signingKey);
  }
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_') && !k.startsWith('CI_')));
  const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', (job.script as string[]).join('\n')], { cwd: repo, env: { ...base, ...env, PATH: `${bin}:${process.env.PATH}` } });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output };
}

/** The traffic shares of the support route a gateway serves now. */
const split = (gw: TestGateway) => gw.gateway.state.current.config.routes[0].destinations.map((d) => d.traffic_percentage);

describe('deploy/gitlab/gatehouse.gitlab-ci.yml (run)', () => {
  it('merge request: validates, evaluates, and comments the config diff', async () => {
    const vars = pipelineVars({ CI_PIPELINE_SOURCE: 'merge_request_event', CI_MERGE_REQUEST_IID: '7', CI_MERGE_REQUEST_DIFF_BASE_SHA: baseSha, CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main' });
    const jobs = jobsFor(vars);
    expect(jobs.map((j) => j.name)).toEqual(['gatehouse:validate', 'gatehouse:eval', 'gatehouse:diff']);
    for (const { name, job } of jobs) {
      const run = await runJob(name, job, vars);
      expect(run.code, `${name}:\n${run.output}`).toBe(0);
    }
    const validate = parseXml(readFileSync(join(repo, 'gatehouse-validate.xml'), 'utf8'));
    expect(validate.attributes).toMatchObject({ tests: '2', failures: '0' });
    const evalReport = parseXml(readFileSync(join(repo, 'gatehouse-eval/support.xml'), 'utf8'));
    expect(findAll(evalReport, 'testcase').map((t) => t.attributes.name)).toEqual(['greets the customer', 'refuses to handle passwords']);
    expect(evalReport.attributes.failures).toBe('0');
    expect(JSON.parse(readFileSync(join(repo, 'gatehouse-eval/support.json'), 'utf8')).summary.samples).toBe(6);

    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ method: 'POST', url: '/api/v4/projects/42/merge_requests/7/notes' });
    expect(notes[0].headers['private-token']).toBe('glpat-test-token');
    expect(notes[0].body.body).toContain('<!-- gatehouse:config-diff -->');
    expect(notes[0].body.body).toContain('- ✏️ Changed route `support`\n  - traffic split: support-v1 100% → 0%, support-v2 0% → 100%');

    // The next push edits the same comment.
    const again = await runJob('gatehouse:diff', resolveJob(pipeline, 'gatehouse:diff'), vars);
    expect(again.code, again.output).toBe(0);
    expect(notes.map((n) => `${n.method} ${n.url}`)).toEqual(['POST /api/v4/projects/42/merge_requests/7/notes', 'PUT /api/v4/projects/42/merge_requests/7/notes/1']);
  }, 240_000);

  it('default branch: deploys to staging, canaries and promotes production with id_tokens', async () => {
    const vars = pipelineVars({ CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main' });
    const jobs = jobsFor(vars);
    expect(jobs.map((j) => `${j.name}:${j.when}`)).toEqual(['gatehouse:validate:on_success', 'gatehouse:eval:on_success', 'gatehouse:staging:on_success', 'gatehouse:canary:manual', 'gatehouse:production:manual']);
    const run = async (name: string) => {
      const result = await runJob(name, resolveJob(pipeline, name), vars);
      expect(result.code, `${name}:\n${result.output}`).toBe(0);
      return result.output;
    };

    expect(split(staging)).toEqual([100, 0]);
    await run('gatehouse:staging');
    expect(split(staging)).toEqual([0, 100]);
    const stagingNow = (await (await fetch(`${staging.url}/admin/config/versions`, { headers: { authorization: `Bearer ${await token()}` } })).json()) as { data: { applied_by: string }[] };
    expect(stagingNow.data[0].applied_by).toMatch(/^gitlab-ci:platform\/gateway-configs pipeline 1001 job \d+ \(alice\)$/);

    await run('gatehouse:canary');
    const canary = await production.gateway.rollout.current();
    expect(canary.record?.message).toBe('canary abc1234 Promote support-v2');
    expect(split(production)).toEqual([90, 10]);

    const promoted = await run('gatehouse:production');
    expect(split(production)).toEqual([0, 100]);
    expect(promoted).toMatch(/^\* +\d+ .* api .* gitlab-ci:platform\/gateway-configs pipeline 1001 job \d+ \(alice\) {2}— abc1234 Promote support-v2$/m);
    expect(existsSync(join(repo, 'gatehouse-eval-staging/support.xml'))).toBe(true);
  }, 240_000);
});

/** A token like the deploy jobs' (production environment), for the test's own admin reads. */
function token(): Promise<string> {
  return new SignJWT({ project_path: 'platform/gateway-configs', ref_protected: 'true', environment: 'gatehouse-staging' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setSubject('test')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(signingKey);
}
