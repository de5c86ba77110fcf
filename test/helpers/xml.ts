// A small strict XML reader for tests that check generated reports (JUnit): it refuses bad nesting,
// unquoted or duplicate attributes, stray "<" or "&", and returns the element tree.
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&([^;]*);/g, (_, name: string) => {
    if (name in ENTITIES) return ENTITIES[name];
    if (/^#\d+$/.test(name)) return String.fromCodePoint(Number(name.slice(1)));
    if (/^#x[0-9a-f]+$/i.test(name)) return String.fromCodePoint(parseInt(name.slice(2), 16));
    throw new Error(`unknown entity &${name};`);
  });
}

export function parseXml(source: string): XmlElement {
  let text = source.replace(/^<\?xml[^?]*\?>\s*/, '');
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack = [root];
  const TOKEN = /^(?:<!--[\s\S]*?-->|<\/([\w:.-]+)\s*>|<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|([^<]+))/;
  while (text.length > 0) {
    const m = TOKEN.exec(text);
    if (!m) throw new Error(`not well-formed XML near: ${text.slice(0, 40)}`);
    text = text.slice(m[0].length);
    const top = stack[stack.length - 1];
    if (m[1]) {
      if (top.name !== m[1]) throw new Error(`</${m[1]}> closes <${top.name}>`);
      stack.pop();
    } else if (m[2]) {
      const attributes: Record<string, string> = {};
      for (const a of m[3].matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (a[1] in attributes) throw new Error(`duplicate attribute ${a[1]}`);
        attributes[a[1]] = decode(a[2] ?? a[3]);
      }
      const element: XmlElement = { name: m[2], attributes, children: [], text: '' };
      top.children.push(element);
      if (!m[4]) stack.push(element);
    } else if (m[5]) {
      if (/&(?![a-z]+;|#\d+;|#x[0-9a-f]+;)/i.test(m[5])) throw new Error('stray & in text');
      top.text += decode(m[5]);
    }
  }
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1].name}> is not closed`);
  if (root.children.length !== 1 || root.text.trim() !== '') throw new Error('an XML document has exactly one root element');
  return root.children[0];
}

/** Every element named `name` under `element`, depth first. */
export function findAll(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((c) => [...(c.name === name ? [c] : []), ...findAll(c, name)]);
}
