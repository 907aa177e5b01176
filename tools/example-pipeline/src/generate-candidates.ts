import type { StepContext } from '@cairn/kernel';
import { failedItemsOf } from './failed-items.js';
import type { Candidate, GeneratedCandidates, ResearchModel } from './research-types.js';

/** The parameter sweep of the generate step: every topic at every temperature. */
export interface ResearchGrid {
  readonly topic: readonly string[];
  readonly temperature: readonly number[];
}

/** Options for {@link generateCandidates}. */
export interface GenerateCandidatesOptions {
  readonly model: ResearchModel;
  /** How many candidates to ask for; the grid's combinations are dealt to them round-robin. */
  readonly itemCount: number;
  readonly grid: ResearchGrid;
}

/** The id of the candidate written by item `index` of the generate step: `candidate-0007`. */
export function candidateId(index: number): string {
  return `candidate-${String(index).padStart(4, '0')}`;
}

/**
 * The `generate_candidates` step: one model call per item over the topic × temperature grid.
 * Each answer is stored as it arrives, transient failures are retried by the run's policy, and
 * an item that still fails is recorded and left out; a resumed run asks only for the missing
 * (and failed) items.
 */
export async function generateCandidates(
  context: Pick<StepContext<unknown>, 'map' | 'step'>,
  options: GenerateCandidatesOptions,
): Promise<GeneratedCandidates> {
  const combinations = options.grid.topic.length * options.grid.temperature.length;
  const items = Array.from({ length: options.itemCount }, (_, index) => ({
    id: candidateId(index),
    // Round-robin dealing gives item i combination i % combinations, so this counts the earlier
    // items that got the same one.
    sample: Math.floor(index / combinations),
  }));
  const result = await context.map(
    items,
    (item, { parameters, attempt, signal }) =>
      options.model.generate(
        {
          id: item.id,
          topic: String(parameters.topic),
          temperature: Number(parameters.temperature),
          sample: item.sample,
        },
        { attempt, signal },
      ),
    { grid: { topic: options.grid.topic, temperature: options.grid.temperature } },
  );
  return {
    requested: items.length,
    candidates: result.values.filter((value): value is Candidate => value !== null),
    failed: failedItemsOf(context.step, result.outcomes, candidateId),
  };
}
