// The throughput measurement, in rounds. Other work on a shared 2-core machine comes and goes; if
// each target got one long run, one target could run on a quiet machine and the next with a test
// suite beside it, and the ratio between them would measure that. So the measured time is split
// into short rounds that visit the targets in turn (only one target under load at any moment), and
// a target's throughput is its 2xx responses over all its rounds. Each round also records where
// the machine's CPU went, so a report shows how much of it other processes took.

import { runLoad, type LoadResult } from './load.js';
import { readCpuMs, readMachineCpu } from './procs.js';
import { chatBody } from './requests.js';
import { mockStats } from './smoke.js';
import type { Mock, Target } from './targets.js';

export interface ChatRound {
  load: LoadResult;
  wallSeconds: number;
  targetCpuMs: number | null;
  /** Null when the target is the mock itself. */
  mockCpuMs: number | null;
  machineBusyMs: number | null;
  stealMs: number | null;
  /** Chat calls the mock answered during the round. */
  upstreamCalls: number;
}

export function chatLoad(target: Target, connections: number, seconds: number): Promise<LoadResult> {
  return runLoad({
    url: `${target.origin}${target.chatPath}`,
    connections,
    durationSeconds: seconds,
    headers: target.headers,
    body: chatBody(target.chatModel),
  });
}

export async function measureChatRound(target: Target, mock: Mock, connections: number, seconds: number): Promise<ChatRound> {
  const isMock = target.pid === mock.child.pid;
  const statsBefore = await mockStats(mock.origin);
  const cpuBefore = readCpuMs(target.pid);
  const mockBefore = isMock ? null : readCpuMs(mock.child.pid);
  const machineBefore = readMachineCpu();
  const wallBefore = performance.now();
  const load = await chatLoad(target, connections, seconds);
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  const machineAfter = readMachineCpu();
  const mockAfter = isMock ? null : readCpuMs(mock.child.pid);
  const cpuAfter = readCpuMs(target.pid);
  const statsAfter = await mockStats(mock.origin);
  return {
    load,
    wallSeconds,
    targetCpuMs: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
    mockCpuMs: mockBefore !== null && mockAfter !== null ? mockAfter - mockBefore : null,
    machineBusyMs: machineBefore && machineAfter ? machineAfter.busyMs - machineBefore.busyMs : null,
    stealMs: machineBefore && machineAfter ? machineAfter.stealMs - machineBefore.stealMs : null,
    upstreamCalls: statsAfter.chat - statsBefore.chat,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface CombinedChat {
  chat: LoadResult;
  upstreamCalls: number;
  cpu?: { chatRunCpuMs: number; cpuMsPerThousandRequests: number };
  cores?: { target: number; mock: number | null; loadGenerator: number; other: number; steal: number; wallSeconds: number };
}

/**
 * Totals over rounds: throughput is all 2xx over all measured seconds; latency percentiles are the
 * median of the rounds' percentiles (autocannon reports percentiles, not raw samples).
 */
export function combineRounds(rounds: ChatRound[]): CombinedChat {
  const loads = rounds.map((r) => r.load);
  const sum = (f: (l: LoadResult) => number) => loads.reduce((acc, l) => acc + f(l), 0);
  const ok = sum((l) => l.ok);
  const duration = sum((l) => l.durationSeconds);
  const chat: LoadResult = {
    connections: loads[0]?.connections ?? 0,
    durationSeconds: duration,
    rps: duration > 0 ? ok / duration : 0,
    ok,
    non2xx: sum((l) => l.non2xx),
    errors: sum((l) => l.errors),
    timeouts: sum((l) => l.timeouts),
    latency: {
      mean: ok > 0 ? sum((l) => l.latency.mean * l.ok) / ok : NaN,
      p50: median(loads.map((l) => l.latency.p50)),
      p90: median(loads.map((l) => l.latency.p90)),
      p99: median(loads.map((l) => l.latency.p99)),
      max: Math.max(...loads.map((l) => l.latency.max)),
    },
    bytesPerSecond: duration > 0 ? sum((l) => l.bytesPerSecond * l.durationSeconds) / duration : 0,
    generatorCpuMs: sum((l) => l.generatorCpuMs),
  };
  const combined: CombinedChat = { chat, upstreamCalls: rounds.reduce((acc, r) => acc + r.upstreamCalls, 0) };

  if (rounds.every((r) => r.targetCpuMs !== null) && ok > 0) {
    const targetMs = rounds.reduce((acc, r) => acc + (r.targetCpuMs ?? 0), 0);
    combined.cpu = { chatRunCpuMs: targetMs, cpuMsPerThousandRequests: (targetMs / ok) * 1000 };
    if (rounds.every((r) => r.machineBusyMs !== null)) {
      const wall = rounds.reduce((acc, r) => acc + r.wallSeconds, 0);
      const perSecond = (ms: number) => ms / 1000 / wall;
      const isMock = rounds.every((r) => r.mockCpuMs === null);
      const mockMs = rounds.reduce((acc, r) => acc + (r.mockCpuMs ?? 0), 0);
      const busyMs = rounds.reduce((acc, r) => acc + (r.machineBusyMs ?? 0), 0);
      const stealMs = rounds.reduce((acc, r) => acc + (r.stealMs ?? 0), 0);
      // Whatever is not the target, the mock or autocannon is someone else's work on this machine
      // (idle bench processes included, which use next to nothing).
      combined.cores = {
        target: perSecond(targetMs),
        mock: isMock ? null : perSecond(mockMs),
        loadGenerator: perSecond(chat.generatorCpuMs),
        other: Math.max(0, perSecond(busyMs - targetMs - mockMs - chat.generatorCpuMs)),
        steal: perSecond(stealMs),
        wallSeconds: wall,
      };
    }
  }
  return combined;
}
