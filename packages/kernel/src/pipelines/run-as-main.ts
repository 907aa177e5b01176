import { isCairnError } from '../errors/cairn-error.js';
import { scrubErrorText } from '../secrets/scrub-error-text.js';
import type { Pipeline } from './define-pipeline.js';
import type { PipelineResult, RunPipelineOptions } from './pipeline-types.js';

/**
 * Runs a pipeline as a program's main job: signals handled (Ctrl+C finishes what is in flight
 * and exits 130, SIGTERM 143, a second signal exits at once), progress lines on stderr, and
 * `process.exitCode` set: 0 completed, 1 failed, 130/143 interrupted.
 *
 * @returns the result, or undefined when the run failed (the error has been printed).
 *
 * @example
 * await runAsMain(research, { storage: createFsStorage({ root: '.cairn' }) });
 */
export async function runAsMain<Outputs extends Record<string, unknown>>(
  pipeline: Pipeline<Outputs>,
  options: RunPipelineOptions,
): Promise<PipelineResult<Outputs> | undefined> {
  const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  try {
    const result = await pipeline.run({ ...options, handleSignals: true, print });
    process.exitCode = result.exitCode;
    return result;
  } catch (error) {
    // The message quotes the step's own error, which may quote a secret; stderr is a log.
    print(
      scrubErrorText(isCairnError(error) || error instanceof Error ? error.message : String(error)),
    );
    process.exitCode = 1;
    return undefined;
  }
}
