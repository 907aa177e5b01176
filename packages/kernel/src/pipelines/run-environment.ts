import { captureEnvironment } from '../environment/capture-environment.js';
import { readEnvironment, storeEnvironment } from '../environment/store-environment.js';
import { summariseError } from '../journal/journal-events.js';
import type { Logger } from '../logging/logger.js';
import type { Run } from '../runs/start-run.js';
import type { RunPipelineOptions } from './pipeline-types.js';

/**
 * Captures and stores the environment of this attempt: a resumed run may go on on another
 * machine, Node version or commit, and what produced its results must stay answerable.
 */
export async function captureRunEnvironment(
  run: Run,
  options: RunPipelineOptions,
  logger: Logger,
  print: (line: string) => void,
) {
  const level = options.environment ?? 1;
  if (level === 0) return;
  try {
    const capture = await captureEnvironment({
      level,
      ...(options.projectDirectory !== undefined
        ? { projectDirectory: options.projectDirectory }
        : {}),
    });
    for (const warning of capture.warnings) logger.warn({ run: run.id }, warning);
    const keys = await storeEnvironment(options.storage, run.id, capture, {
      attempt: run.attempt,
    });
    await run.update((record) => ({ ...record, environment: { level, record: keys.record } }));
    if (run.attempt > 1) {
      // Against the attempt just before: A → B → A is two changes, and staying on B is none.
      const previous = await readEnvironment(options.storage, run.id, {
        attempt: run.attempt - 1,
      }).catch(() => undefined);
      const before = previous?.git?.commit;
      const now = capture.record.git?.commit;
      if (before !== undefined && now !== undefined && before !== now) {
        print(
          `Note: run ${run.id} ran on commit ${before.slice(0, 12)} and goes on on ${now.slice(0, 12)}; the environment of every attempt is stored with the run.`,
        );
        run.emit({ type: 'custom', name: 'environment-changed', data: { before, now } });
      }
    }
  } catch (error) {
    // Losing the environment record is a pity, not a reason to lose the run.
    logger.warn(
      { run: run.id, error: summariseError(error) },
      'the environment could not be captured',
    );
  }
}
