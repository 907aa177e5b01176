import type { Cost } from './archive-entry.js';

/** A model's price in US dollars per million tokens. */
export interface ModelPrice {
  /** Per million prompt (input) tokens. */
  readonly inputPerMillion: number;
  /** Per million completion (output) tokens. */
  readonly outputPerMillion: number;
}

/**
 * A small table of list prices (US dollars per million tokens, as published by each provider
 * in 2025), for the models people most often point pipelines at. Prices change: pass
 * `prices` to override or add models; a model in neither is costed `"unknown"`, never 0.
 * Local models (Ollama, vLLM) are free to run but not free: give them a price of 0 yourself
 * if you want them summed as such.
 */
export const defaultPrices: Readonly<Record<string, ModelPrice>> = {
  'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
  'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  'gpt-4.1': { inputPerMillion: 2, outputPerMillion: 8 },
  'gpt-4.1-mini': { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  'gpt-4.1-nano': { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  'o4-mini': { inputPerMillion: 1.1, outputPerMillion: 4.4 },
  'gemini-2.5-pro': { inputPerMillion: 1.25, outputPerMillion: 10 },
  'gemini-2.5-flash': { inputPerMillion: 0.3, outputPerMillion: 2.5 },
  'gemini-2.0-flash': { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  'claude-sonnet-4': { inputPerMillion: 3, outputPerMillion: 15 },
  'claude-3-5-haiku': { inputPerMillion: 0.8, outputPerMillion: 4 },
};

/**
 * The price of `model`: an exact name in `prices`, then in the defaults; then the longest
 * known name the model starts with followed by `-` (`gpt-4o-mini-2024-07-18` is priced as
 * `gpt-4o-mini`). Undefined when unknown.
 */
export function priceOf(
  model: string,
  prices: Readonly<Record<string, ModelPrice>> = {},
): ModelPrice | undefined {
  const table = { ...defaultPrices, ...prices };
  if (Object.hasOwn(table, model)) return table[model];
  const base = Object.keys(table)
    .filter((name) => model.startsWith(`${name}-`))
    .sort((left, right) => right.length - left.length)[0];
  return base === undefined ? undefined : table[base];
}

/**
 * The cost of a call: known only when the model's price and both token counts are; otherwise
 * `"unknown"` (a sum that silently counted unknowns as 0 would understate spend).
 */
export function costOf(
  model: string,
  promptTokens: number | null,
  completionTokens: number | null,
  prices?: Readonly<Record<string, ModelPrice>>,
): Cost {
  const price = priceOf(model, prices);
  if (price === undefined || promptTokens === null || completionTokens === null) return 'unknown';
  const usd =
    (promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion) / 1_000_000;
  return { usd: Math.round(usd * 1e10) / 1e10 };
}
