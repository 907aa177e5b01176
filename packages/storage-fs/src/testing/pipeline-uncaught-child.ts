// Run by pipeline-uncaught-error.int.test.ts in its own Node process:
// `node --conditions=source --import tsx pipeline-uncaught-child.ts <root> <exception|rejection>`.
// The second step starts work that fails outside any awaited promise, the way a forgotten
// callback or an un-awaited promise does in a real pipeline, then waits for its stop signal.
import { definePipeline, runAsMain } from '@cairn/kernel';
import { createFsStorage } from '../index.js';

const [root, kind] = process.argv.slice(2);
if (root === undefined || (kind !== 'exception' && kind !== 'rejection')) {
  throw new Error('usage: pipeline-uncaught-child.ts <root> <exception|rejection>');
}

const pipeline = definePipeline('uncaught')
  .step('prepare', () => ({ ready: true }))
  .step('train', ({ signal }) => {
    if (kind === 'exception') {
      setTimeout(() => {
        throw new Error('the data loader callback threw');
      }, 20);
    } else {
      setTimeout(() => {
        void Promise.reject(new Error('an un-awaited upload rejected'));
      }, 20);
    }
    // The step itself is fine: it ends only because the run is being stopped.
    return new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  });

await runAsMain(pipeline, {
  storage: createFsStorage({ root }),
  environment: 0,
  print: (line) => process.stdout.write(`${line}\n`),
});
