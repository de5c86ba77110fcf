// Pattern families for prompt injection and jailbreaks. Each pattern has a weight: how sure a match
// alone makes us. The patterns run on normalized text (lower case, disguises undone).

export type InjectionFamily =
  | 'instruction_override'
  | 'roleplay_jailbreak'
  | 'system_prompt_extraction'
  | 'delimiter_injection'
  | 'encoded_payload'
  | 'obfuscation';

export interface InjectionPattern {
  id: string;
  family: InjectionFamily;
  weight: number;
  pattern: RegExp;
}

const EARLIER = '(?:previous|prior|above|earlier|preceding|foregoing|initial|original|system|all)';
const RULES = '(?:instructions?|prompts?|rules|directions|directives|guidelines|context|commands|messages?)';

export const INJECTION_PATTERNS: InjectionPattern[] = [
  // Instruction override: the input tells the model to drop what it was told.
  { id: 'ignore-previous', family: 'instruction_override', weight: 0.9,
    pattern: new RegExp(`\\b(?:ignore|disregard|forget|skip|bypass|override|drop)\\b[^.\\n]{0,30}?\\b${EARLIER}\\b[^.\\n]{0,20}?\\b${RULES}`) },
  { id: 'forget-everything', family: 'instruction_override', weight: 0.7,
    pattern: /\bforget (?:everything|all(?: of)? (?:that|this|it)|what you (?:were|have been) told)\b/ },
  { id: 'new-instructions', family: 'instruction_override', weight: 0.5,
    pattern: /\b(?:your )?new (?:instructions|rules|task|objective) (?:are|is)\b|\bnew instructions\s*:/ },
  { id: 'from-now-on', family: 'instruction_override', weight: 0.35,
    pattern: /\bfrom now on,? you (?:will|must|are|shall)\b/ },
  { id: 'no-restrictions', family: 'instruction_override', weight: 0.5,
    pattern: /\b(?:without|no|ignore (?:all|any|your)) (?:any )?(?:restrictions|filters|limitations|guidelines|censorship|content polic(?:y|ies)|safety (?:rules|guidelines))\b/ },

  // Role-play jailbreaks: a persona that is "free" of the model's rules.
  { id: 'dan', family: 'roleplay_jailbreak', weight: 0.9, pattern: /\bdo anything now\b|\byou are (?:now )?dan\b|\bdan mode\b/ },
  { id: 'developer-mode', family: 'roleplay_jailbreak', weight: 0.8, pattern: /\b(?:developer|god|sudo|jailbreak|unrestricted) mode\b/ },
  // Alone the word is as likely to be about phones; it adds weight to other signals.
  { id: 'jailbreak-word', family: 'roleplay_jailbreak', weight: 0.3, pattern: /\bjailbr(?:eak|oken)\b/ },
  { id: 'unfiltered-persona', family: 'roleplay_jailbreak', weight: 0.7,
    pattern: /\b(?:act as|pretend (?:to be|you are)|you are now|roleplay as|become)\b[^.\n]{0,40}\b(?:unfiltered|uncensored|unrestricted|unbound|amoral|evil|without (?:rules|limits|ethics))\b/ },
  { id: 'unfiltered-ai', family: 'roleplay_jailbreak', weight: 0.6,
    pattern: /\ban? (?:unfiltered|uncensored|unrestricted|amoral|unethical)\b[^.\n]{0,20}\b(?:ai|chatbot|assistant|model|bot|persona)\b/ },
  { id: 'no-longer-bound', family: 'roleplay_jailbreak', weight: 0.7,
    pattern: /\byou (?:are|'re) (?:no longer|not) (?:bound|restricted|limited|an ai|a language model)\b|\bfreed? from (?:the )?(?:typical )?(?:confines|rules|restrictions)\b/ },
  { id: 'stay-in-character', family: 'roleplay_jailbreak', weight: 0.4, pattern: /\bstay in character\b|\bnever break character\b/ },

  // System prompt extraction: the input asks for the hidden instructions.
  { id: 'reveal-system-prompt', family: 'system_prompt_extraction', weight: 0.8,
    pattern: /\b(?:reveal|show|print|repeat|output|display|tell me|give me|write out|leak|dump|what (?:is|are|were))\b[^.\n]{0,25}?\b(?:your (?:system|initial|original|hidden|secret|developer|first)|the (?:system|hidden|secret|developer)) (?:prompt|instructions?|message|rules)\b/ },
  { id: 'repeat-above', family: 'system_prompt_extraction', weight: 0.6,
    pattern: /\b(?:repeat|print|output|copy|reproduce) (?:all |everything |the (?:text|words|content) )?(?:above|before this|verbatim from the (?:start|beginning))\b/ },
  { id: 'what-were-you-told', family: 'system_prompt_extraction', weight: 0.6,
    pattern: /\bwhat (?:were you|have you been) (?:told|instructed|programmed)\b|\beverything above this line\b/ },

  // Delimiter injection: text that imitates chat-template markers to open a fake system turn.
  { id: 'chat-template-marker', family: 'delimiter_injection', weight: 0.7,
    pattern: /<\|(?:im_start|im_end|system|endoftext|start_header_id)\|>|\[\/?inst\]|<<\/?sys>>/ },
  // XML-ish role tags also appear in ordinary configs and prompts; weak alone.
  { id: 'role-tag', family: 'delimiter_injection', weight: 0.3, pattern: /<\/?(?:system|sys|assistant)>/ },
  { id: 'fake-role-header', family: 'delimiter_injection', weight: 0.5, pattern: /(?:^|\n)\s*#{0,3}\s*(?:system|assistant)\s*(?:message|prompt)?\s*:/ },

  // Encoded payloads: an instruction to decode and follow hidden text.
  { id: 'decode-and-follow', family: 'encoded_payload', weight: 0.5,
    pattern: /\b(?:decode|decipher|translate) (?:this|the following)[^.\n]{0,30}\b(?:and|then) (?:follow|execute|do|obey|run)\b/ },
];
