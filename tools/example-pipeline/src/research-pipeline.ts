import { definePipeline } from '@cairn/kernel';
import { compressCandidates } from './compress-candidates.js';
import { evaluateCandidates } from './evaluate-candidates.js';
import { generateCandidates, type ResearchGrid } from './generate-candidates.js';
import { renderReport } from './render-report.js';
import type { ResearchModel } from './research-types.js';
import { synthesise } from './synthesise.js';
import { writeReport } from './write-report.js';

/** The example's sweep: four topics, each at three temperatures. */
export const defaultResearchGrid: ResearchGrid = {
  topic: ['tides', 'glaciers', 'dunes', 'monsoons'],
  temperature: [0.2, 0.7, 1.2],
};

/** Options for {@link createResearchPipeline}. */
export interface ResearchPipelineOptions {
  /** The model that writes and judges candidates. */
  readonly model: ResearchModel;
  /** How many candidates to generate. */
  readonly itemCount: number;
  /** Where the Markdown report is written (a folder on local disk, created when missing). */
  readonly reportsDirectory: string;
  /** The topic × temperature sweep; default {@link defaultResearchGrid}. */
  readonly grid?: ResearchGrid;
  /** Longest compressed answer, in words; default 18. */
  readonly maxWords?: number;
  /** Candidates in the report's best list; default 5. */
  readonly bestCount?: number;
}

/**
 * The five-step research pipeline: generate candidate answers over a parameter grid, compress
 * them, judge each, synthesise the best and the metrics, and write a Markdown report. Each
 * step's output is checkpointed by the engine, so a resumed run skips the finished steps and
 * the two model-calling steps redo only their missing items.
 */
export function createResearchPipeline(options: ResearchPipelineOptions) {
  const grid = options.grid ?? defaultResearchGrid;
  return definePipeline('research')
    .step('generate_candidates', (context) =>
      generateCandidates(context, { model: options.model, itemCount: options.itemCount, grid }),
    )
    .step('compress', ({ outputs }) =>
      compressCandidates(outputs.generate_candidates.candidates, {
        maxWords: options.maxWords ?? 18,
      }),
    )
    .step('evaluate', (context) =>
      evaluateCandidates(context, context.outputs.compress.candidates, options.model),
    )
    .step('synthesise', async ({ outputs, checkpoints }) => {
      const synthesis = synthesise(
        {
          generated: outputs.generate_candidates,
          compressed: outputs.compress,
          evaluated: outputs.evaluate,
        },
        { bestCount: options.bestCount ?? 5 },
      );
      // Besides the step's output, a checkpoint carrying the metrics in its sidecar: catalogs
      // rank and plot runs by them without opening a payload.
      const saved = await checkpoints.save({
        state: { metrics: synthesis.metrics, best: synthesis.best },
        metrics: synthesis.metrics,
        tags: ['synthesis'],
      });
      return { ...synthesis, metricsCheckpoint: saved.id };
    })
    .step('report', async ({ outputs, run }) =>
      writeReport(
        options.reportsDirectory,
        run.id,
        renderReport({ run: run.id, synthesis: outputs.synthesise }),
      ),
    );
}
