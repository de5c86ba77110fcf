// The YAML side of loading: parse with positions, locate syntax errors, and find where a key path
// was written, so that every later problem can name its line and column.
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Path } from './issues.js';

export interface Position {
  line: number;
  column: number;
}

export interface YamlSource {
  /** The document as plain data: null when it holds none (empty, or only comments). */
  value: unknown;
  /** Syntax problems (duplicate keys included); when there are any, `value` is null. */
  errors: { position: Position; message: string }[];
  /** Where the value at a path starts (with onKey: where its key starts); for a path that is not written, its nearest written ancestor. */
  locate(path: Path, onKey?: boolean): Position;
}

export function parseYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  // `merge`: MLflow reads configs with PyYAML, which honours `<<:` merge keys.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locate = (path: Path, onKey = false) => position(offsetOf(doc, path, onKey));
  const errors = doc.errors.map((e) => ({ position: position(e.pos[0]), message: firstLine(e.message) }));
  if (errors.length > 0) return { value: null, errors, locate };
  try {
    return { value: doc.toJS() ?? null, errors, locate };
  } catch (err) {
    // toJS refuses alias bombs ("Excessive alias count"); anything it throws is a file problem.
    return { value: null, errors: [{ position: position(0), message: (err as Error).message }], locate };
  }
}

/** Source offset of the node at a path, or of its nearest existing ancestor. With onKey, of the key itself. */
function offsetOf(doc: Document, path: Path, onKey: boolean): number {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = depth === 1 ? doc.contents : (doc.getIn(path.slice(0, depth - 1), true) as Node | undefined);
    const key = path[depth - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
      if (pair) {
        const keyNode = pair.key as Node;
        const valueNode = pair.value as Node | null;
        if ((onKey && depth === path.length) || !valueNode?.range) return keyNode.range?.[0] ?? 0;
        return valueNode.range[0];
      }
    } else if (isSeq(parent) && typeof key === 'number') {
      const item = parent.items[key] as Node | undefined;
      if (item?.range) return item.range[0];
    }
  }
  return (doc.contents as Node | null)?.range?.[0] ?? 0;
}

/** The first line only: later lines may quote the source, which can hold a key; the position is reported separately. */
function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
