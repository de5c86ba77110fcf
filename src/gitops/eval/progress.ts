// Progress while an eval runs: a bar redrawn in place on a terminal, one plain line per finished
// case elsewhere (CI logs, where carriage returns make a mess).
export interface Progress {
  sample(caseName: string, done: number, total: number, passed: boolean): void;
  finish(): void;
}

const WIDTH = 30;

export function progressOn(stream: NodeJS.WriteStream, perCase: Map<string, number>): Progress {
  const left = new Map(perCase);
  const failed = new Set<string>();
  let failures = 0;
  if (stream.isTTY) {
    return {
      sample(_name, done, total, passed) {
        if (!passed) failures++;
        const filled = Math.round((done / total) * WIDTH);
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total} samples${failures ? `, ${failures} failed` : ''}`);
      },
      finish: () => void stream.write('\n'),
    };
  }
  return {
    sample(name, done, total, passed) {
      if (!passed) failed.add(name);
      const remaining = (left.get(name) ?? 1) - 1;
      left.set(name, remaining);
      if (remaining === 0) stream.write(`${failed.has(name) ? 'FAIL' : 'ok  '} ${name} (${done}/${total} samples run)\n`);
    },
    finish: () => undefined,
  };
}
