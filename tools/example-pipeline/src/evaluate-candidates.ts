import type { StepContext } from '@cairn/kernel';
import { failedItemsOf } from './failed-items.js';
import type {
  CompressedCandidate,
  EvaluatedCandidates,
  Evaluation,
  ResearchModel,
} from './research-types.js';

/**
 * The `evaluate` step: the model judges each compressed candidate. Like generation, each verdict
 * is stored as it arrives, so an interrupted evaluation resumes with the unjudged ones only.
 */
export async function evaluateCandidates(
  context: Pick<StepContext<unknown>, 'map' | 'step'>,
  candidates: readonly CompressedCandidate[],
  model: ResearchModel,
): Promise<EvaluatedCandidates> {
  const result = await context.map(candidates, (candidate, { attempt, signal }) =>
    model.score(candidate, { attempt, signal }),
  );
  return {
    evaluations: result.values.filter((value): value is Evaluation => value !== null),
    failed: failedItemsOf(
      context.step,
      result.outcomes,
      (index) => candidates[index]?.id ?? `item ${index}`,
    ),
  };
}
