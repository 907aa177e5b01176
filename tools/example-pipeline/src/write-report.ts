import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes a run's report to `<directory>/<pipeline>-<time id>.md` and returns its path. The
 * file appears whole or not at all (written aside, then renamed), so a run stopped mid-write
 * never leaves half a report; writing it again replaces it.
 */
export async function writeReport(
  directory: string,
  run: string,
  markdown: string,
): Promise<string> {
  await mkdir(directory, { recursive: true });
  const path = join(directory, `${run.replaceAll('/', '-')}.md`);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, markdown, 'utf8');
  await rename(temporary, path);
  return path;
}
