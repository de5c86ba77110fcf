// The response headers that tell a client what its request cost: x-gatehouse-cost-usd (absent when
// no price is known) and x-gatehouse-usage-estimated when the gateway counted the tokens itself.
import type { RequestContext } from '../core/context.js';

export const COST_HEADER = 'x-gatehouse-cost-usd';

/** USD with up to 10 decimals and no trailing zeros ("0.000125"), never exponent notation. */
export const formatUsd = (usd: number) => usd.toFixed(10).replace(/\.?0+$/, '') || '0';

export function costHeaders(ctx: RequestContext): Record<string, string> {
  const headers: Record<string, string> = {};
  if (ctx.costUsd !== undefined) headers[COST_HEADER] = formatUsd(ctx.costUsd);
  if (ctx.usageEstimated) headers['x-gatehouse-usage-estimated'] = 'true';
  return headers;
}
