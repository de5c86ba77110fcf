// Servers that speak "OpenAI's API" do not all speak it exactly. This brings their answers to the
// canonical shape before anything else reads them:
// - finish reasons of their own (Together's `eos`, Mistral's `model_length`, TGI's `eos_token`);
// - tool-call `arguments` sent as a JSON object instead of a JSON string (TGI's Messages API);
// - a streamed `delta.tool_calls` sent as one object instead of an array (TGI's Messages API).
// A server's own end-of-turn reason on a turn that called tools becomes `tool_calls` (TGI ends every
// turn with `eos_token`); OpenAI's own reasons are left as they are.

interface LooseToolCall {
  index?: number;
  function?: { arguments?: unknown };
}

interface LooseChoice {
  finish_reason?: string | null;
  message?: { tool_calls?: unknown };
  delta?: { tool_calls?: unknown };
}

/** Renames finish reasons and fixes tool calls in a response or chunk; `state` carries what a stream has seen so far. */
export function normalizeChoices<T extends { choices: unknown[] }>(
  res: T,
  finishReasons: Readonly<Record<string, string>> | undefined,
  state: { calledTools: boolean } = { calledTools: false },
): T {
  if (!Array.isArray(res.choices)) return res;
  for (const choice of res.choices as LooseChoice[]) {
    const holder = choice.message ?? choice.delta;
    if (holder?.tool_calls !== undefined && holder.tool_calls !== null) {
      if (!Array.isArray(holder.tool_calls)) holder.tool_calls = [holder.tool_calls];
      for (const [i, call] of (holder.tool_calls as LooseToolCall[]).entries()) {
        // A stream's calls are told apart by index: a server that sends one object gives none.
        if (choice.delta && call.index === undefined) call.index = i;
        const args = call.function?.arguments;
        if (args !== undefined && typeof args !== 'string') call.function!.arguments = JSON.stringify(args);
      }
      state.calledTools = true;
    }
    const reason = choice.finish_reason;
    const renamed = reason ? finishReasons?.[reason] : undefined;
    if (renamed) choice.finish_reason = state.calledTools && renamed === 'stop' ? 'tool_calls' : renamed;
  }
  return res;
}
