// The child of the crash test, in its own Node process (through tsx):
// `node --conditions=source --import tsx crash-child.ts <directory> <run> <base url> <durability> <calls> <concurrency> <replay>`.
// It makes `calls` chat completions through the archive, `concurrency` at a time, and prints
// `returned <n>` the moment call n has returned to it: the parent kills it at a random moment
// and checks every call it saw returned is in the archive.
import { openLlmArchive } from '../llm-archive.js';
import { archivedFetch } from '../openai-compatible.js';

const [directory, run, baseUrl, durability, callsText, concurrencyText, replayText] =
  process.argv.slice(2);
if (
  directory === undefined ||
  run === undefined ||
  baseUrl === undefined ||
  callsText === undefined
) {
  throw new Error(
    'usage: crash-child.ts <directory> <run> <base url> <durability> <calls> <concurrency> <replay>',
  );
}
const archive = await openLlmArchive({
  directory,
  run,
  durability: durability as 'fsync' | 'batched' | 'none',
  replay: replayText === 'true',
  retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
});
const send = archivedFetch(archive);
const calls = Number(callsText);
let next = 0;
let replayed = 0;
const lane = async () => {
  while (next < calls) {
    const call = next;
    next += 1;
    const response = await send(`${baseUrl}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-crash-test-key-000000000000',
      },
      // `user` tells the parent's server which trial sent it; it does not change the request hash.
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        user: run,
        messages: [{ role: 'user', content: `call ${call}` }],
      }),
    });
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    if (body.choices[0]?.message.content !== `echo: call ${call}`)
      throw new Error(`call ${call} got the wrong answer`);
    if (response.headers.get('x-cairn-replayed') === 'true') replayed += 1;
    process.stdout.write(`returned ${call}\n`);
  }
};
await Promise.all(Array.from({ length: Number(concurrencyText ?? '1') }, lane));
await archive.close();
process.stdout.write(`done ${replayed}\n`);
