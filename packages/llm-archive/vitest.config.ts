import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

export default mergeConfig(shared, {
  test: {
    // eventsource-parser (under the AI SDK) publishes a `source` export condition pointing at
    // its TypeScript sources; the workspace resolves `source` everywhere, so Vite must
    // transform that package instead of handing .ts files to Node.
    server: { deps: { inline: ['eventsource-parser', /@ai-sdk\//, 'ai'] } },
  },
});
