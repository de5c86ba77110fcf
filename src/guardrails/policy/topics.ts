// Topic keyword lists: a topic fires when any of its keywords or phrases appears as whole words.

export interface TopicList {
  name: string;
  keywords: readonly string[];
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class TopicMatcher {
  private readonly topics: Array<{ name: string; regex: RegExp }>;

  constructor(topics: readonly TopicList[]) {
    // One alternation per topic, whitespace inside phrases matching any run of spaces or newlines.
    this.topics = topics.map(({ name, keywords }) => ({
      name,
      regex: new RegExp(
        `(?<![\\p{L}\\p{N}])(?:${keywords.map((k) => escapeRegex(k.trim()).replace(/\s+/g, '\\s+')).join('|')})(?![\\p{L}\\p{N}])`,
        'iu',
      ),
    }));
  }

  /** Names of the topics the text touches, in configuration order. */
  match(text: string): string[] {
    return this.topics.filter((topic) => topic.regex.test(text)).map((topic) => topic.name);
  }
}
