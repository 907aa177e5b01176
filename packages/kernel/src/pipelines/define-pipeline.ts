import { validateName } from '../naming/names.js';
import type {
  PipelineResult,
  RunPipelineOptions,
  StepContext,
  StepDefinition,
} from './pipeline-types.js';
import { runPipeline } from './run-pipeline.js';

/** A pipeline: named steps, each receiving the outputs of the steps before it. */
export interface Pipeline<Outputs extends Record<string, unknown>> {
  /** The pipeline's name: its runs live under `runs/<name>/`. */
  readonly name: string;
  /** The steps in order. */
  readonly steps: readonly StepDefinition[];
  /**
   * A new pipeline with one more step. The step's function receives the outputs of the
   * earlier steps and returns its own (JSON-like: it is checkpointed).
   */
  step<Name extends string, Output>(
    name: Name,
    run: (context: StepContext<Outputs>) => Promise<Output> | Output,
  ): Pipeline<Outputs & { readonly [Key in Name]: Awaited<Output> }>;
  /**
   * Runs the pipeline. By default it continues the latest run that did not complete: steps
   * that completed are loaded from their checkpoints (and reported as skipped), and the run
   * goes on at the first incomplete step.
   *
   * @returns how it ended: COMPLETED, or INTERRUPTED (signal/abort; what finished is kept).
   * @throws CairnError `STEP_FAILED` after marking the run FAILED and storing an error record;
   *   its message hides secrets the step's error quoted, but its `cause` is the step's own error,
   *   unchanged: log the cause only through a logger that redacts. `CONFLICT` when another
   *   live process runs the latest run.
   */
  run(options: RunPipelineOptions): Promise<PipelineResult<Outputs>>;
}

function build<Outputs extends Record<string, unknown>>(
  name: string,
  steps: readonly StepDefinition[],
): Pipeline<Outputs> {
  return {
    name,
    steps,
    step(stepName, run) {
      validateName('step', stepName);
      return build(name, [...steps, { name: stepName, run: run as StepDefinition['run'] }]);
    },
    run: (options) => runPipeline<Outputs>(name, steps, options),
  };
}

/**
 * Starts a pipeline definition.
 *
 * @example
 * const research = definePipeline('research')
 *   .step('generate', ({ map }) => map(topics, (topic) => llm(topic)))
 *   .step('report', ({ outputs }) => summarise(outputs.generate.values));
 * const result = await research.run({ storage, handleSignals: true });
 */
export function definePipeline(name: string): Pipeline<Record<never, never>> {
  validateName('pipeline', name);
  return build(name, []);
}
