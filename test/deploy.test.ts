// The deployment files, checked without Docker or Helm (neither can run here): the Dockerfile's
// stages and what it copies, the compose file's shared-state wiring, and the Helm chart's
// templates against its values and against what the gateway really serves (/health, /ready, /metrics).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigFile } from '../src/config/load.js';
import { load } from './helpers/config.js';
import { ROOT } from './helpers/cli.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const CONFIG_PATH = '/etc/gatehouse/gatehouse.yaml';

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

describe('Dockerfile', () => {
  const all = instructions(read('deploy/Dockerfile'));
  const finalStart = all.map((i) => i.op).lastIndexOf('FROM');
  const final = all.slice(finalStart);
  const args = (op: string) => final.filter((i) => i.op === op).map((i) => i.args);

  it('builds in one stage and runs from a small Node 20 image with production dependencies only', () => {
    const bases = all.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]);
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const base of bases) expect(base).toMatch(/^node:20-(slim|alpine)$/);
    const installs = args('RUN').filter((r) => r.includes('npm ci'));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toContain('--omit=dev');
    // The build output comes from the build stage; no compiler runs in the final one.
    expect(args('COPY')).toContain('--from=build /src/dist ./dist');
    expect(args('RUN').join(' ')).not.toMatch(/npm run build|tsc/);
  });

  it('runs as a non-root user, checks /health, exposes 4000 and starts bin/gatehouse.js serve', () => {
    const user = args('USER').at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    // Nothing after USER runs as root again.
    expect(final.slice(final.findIndex((i) => i.op === 'USER')).some((i) => i.op === 'RUN')).toBe(false);
    expect(args('HEALTHCHECK').join(' ')).toMatch(/\/health/);
    expect(args('EXPOSE')).toEqual(['4000']);
    expect(JSON.parse(args('ENTRYPOINT')[0])).toEqual(['node', 'bin/gatehouse.js']);
    expect(JSON.parse(args('CMD').at(-1)!)).toEqual(['serve']);
    expect(args('ENV').join(' ')).toContain(`GATEHOUSE_CONFIG=${CONFIG_PATH}`);
  });

  it('copies only files that exist and that .dockerignore lets through; the default config is valid', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.git', 'dist']));
    const sources = all
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)), `${source} is ignored`).toBe(false);
    }
    // The image holds the example config with its prompts folder beside it, as in examples/.
    expect(loadConfigFile(join(ROOT, 'examples/gatehouse.yaml'), {}).issues).toEqual([]);
  });
});

describe('docker-compose.yaml', () => {
  const compose = parse(read('deploy/docker-compose.yaml'), { merge: true }) as { services: Record<string, any> };
  const gateways = Object.entries(compose.services).filter(([, s]) => s.build);

  it('runs two gateway replicas on one Postgres and one Redis, started once both are healthy', () => {
    expect(gateways.length).toBe(2);
    for (const name of ['postgres', 'redis']) expect(compose.services[name].healthcheck.test, name).toBeDefined();
    const ports = new Set<string>();
    for (const [name, service] of gateways) {
      expect(existsSync(join(ROOT, 'deploy', service.build.context, service.build.dockerfile)), name).toBe(true);
      expect(service.environment.GATEHOUSE_DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(service.environment.GATEHOUSE_REDIS_URL).toBe('redis://redis:6379');
      expect(service.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      for (const p of service.ports) ports.add(p.split(':')[0]);
    }
    expect(ports.size).toBe(2);
  });

  it('mounts a valid config where the image reads it', () => {
    for (const [, service] of gateways) {
      const [source, target] = service.volumes[0].split(':');
      expect(target).toBe(CONFIG_PATH);
      expect(load(readFileSync(join(ROOT, 'deploy', source), 'utf8')).issues).toEqual([]);
    }
  });
});

describe('Helm chart', () => {
  const chart = 'deploy/helm/gatehouse';
  const values = parse(read(`${chart}/values.yaml`)) as Record<string, any>;
  const templates = Object.fromEntries(readdirSync(join(ROOT, chart, 'templates')).map((f) => [f, read(`${chart}/templates/${f}`)]));

  it('is a v2 chart whose templates are well formed and use only values that exist', () => {
    expect(parse(read(`${chart}/Chart.yaml`))).toMatchObject({ apiVersion: 'v2', name: 'gatehouse', version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    for (const [file, text] of Object.entries(templates)) {
      const actions = [...text.matchAll(/\{\{-?\s*(.*?)\s*-?\}\}/gs)].map((m) => m[1]);
      expect(text.split('{{').length, `${file}: unbalanced braces`).toBe(text.split('}}').length);
      const opened = actions.filter((a) => /^(if|with|range|define)\b/.test(a)).length;
      expect(actions.filter((a) => a === 'end').length, `${file}: blocks and ends`).toBe(opened);
      for (const [, path] of text.matchAll(/\.Values\.([\w.]+)/g)) {
        const found = path.split('.').reduce<any>((node, key) => (node && typeof node === 'object' && key in node ? node[key] : undefined), values);
        expect(found, `${file}: .Values.${path} is not in values.yaml`).not.toBeUndefined();
      }
    }
  });

  it('has every object a platform team expects, of the right kind', () => {
    const kinds = Object.fromEntries(
      Object.entries(templates)
        .filter(([file]) => file.endsWith('.yaml'))
        .map(([file, text]) => [file, `${/^apiVersion: (\S+)/m.exec(text)?.[1]} ${/^kind: (\S+)/m.exec(text)?.[1]}`]),
    );
    expect(kinds).toEqual({
      'configmap.yaml': 'v1 ConfigMap',
      'deployment.yaml': 'apps/v1 Deployment',
      'hpa.yaml': 'autoscaling/v2 HorizontalPodAutoscaler',
      'ingress.yaml': 'networking.k8s.io/v1 Ingress',
      'secret.yaml': 'v1 Secret',
      'service.yaml': 'v1 Service',
      'servicemonitor.yaml': 'monitoring.coreos.com/v1 ServiceMonitor',
    });
  });

  it('wires the config, the port and the probes consistently, and its default config is valid', () => {
    const deployment = templates['deployment.yaml'];
    expect(deployment).toContain(`- name: GATEHOUSE_CONFIG\n              value: ${CONFIG_PATH}`);
    expect(deployment).toMatch(/mountPath: \/etc\/gatehouse\n/);
    expect(templates['configmap.yaml']).toContain('  gatehouse.yaml: |');
    expect(deployment).toMatch(/livenessProbe:\n\s+httpGet:\n\s+path: \/health\n\s+port: http/);
    expect(deployment).toMatch(/readinessProbe:\n\s+httpGet:\n\s+path: \/ready\n\s+port: http/);
    expect(deployment).toContain('containerPort: {{ .Values.service.port }}');
    expect(templates['service.yaml']).toContain('targetPort: http');
    expect(templates['servicemonitor.yaml']).toMatch(/port: http\n\s+path: \/metrics/);
    expect(values.podSecurityContext.runAsNonRoot).toBe(true);
    expect(load(values.config.content).issues).toEqual([]);
  });

  describe('the paths the probes and the monitor call', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startGateway(values.config.content);
    });
    afterAll(() => gw.close());

    it('answer 200', async () => {
      for (const path of ['/health', '/ready', '/metrics']) expect((await fetch(`${gw.url}${path}`)).status, path).toBe(200);
    });
  });
});
