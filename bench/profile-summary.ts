// Summarises a V8 .cpuprofile (written by node --cpu-prof) into "where the time goes": self time
// by package / source area and the hottest functions. Used by run.ts when BENCH_CPU_PROF=1, and
// runnable alone: tsx bench/profile-summary.ts bench/.scratch/profiles/<file>.cpuprofile

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  idleMs: number;
  areas: { name: string; ms: number; pct: number }[];
  functions: { name: string; area: string; ms: number; pct: number }[];
}

/** Which package or part of the program a script URL belongs to. */
function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node core';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `gatehouse ${path.dirname(url.slice(dist + 1))}`;
  return path.basename(url);
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i + 1] is the time spent in samples[i] until the next sample was taken.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  let idleUs = 0;
  let busyUs = 0;
  const areas = new Map<string, number>();
  const functions = new Map<string, { area: string; us: number }>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const area = areaOf(frame.url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    const entry = functions.get(key) ?? { area, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const pct = (us: number) => (busyUs ? (100 * us) / busyUs : 0);
  return {
    file,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    areas: [...areas]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, pct: pct(us) })),
    functions: [...functions]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([name, { area, us }]) => ({ name, area, ms: us / 1000, pct: pct(us) })),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [
    `CPU profile ${path.basename(summary.file)}: ${summary.busyMs.toFixed(0)} ms busy, ${summary.idleMs.toFixed(0)} ms idle`,
    'Self time by area:',
    ...summary.areas.map((a) => `  ${a.pct.toFixed(1).padStart(5)}%  ${a.name}`),
    'Hottest functions (self time):',
    ...summary.functions.map((f) => `  ${f.pct.toFixed(1).padStart(5)}%  ${f.name}  [${f.area}]`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile>...');
    process.exit(2);
  }
  for (const file of files) console.log(formatProfile(summarizeProfile(file)));
}
