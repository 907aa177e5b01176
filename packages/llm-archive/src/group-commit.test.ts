import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

describe('group commit', () => {
  it('makes many concurrent writers share a few flushes, each resolving after a flush that followed its work', async () => {
    const log: string[] = [];
    let flushes = 0;
    const group = new GroupCommit(async () => {
      flushes += 1;
      log.push(`flush ${flushes}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    const releasedBy = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        group
          .commit(async () => {
            log.push(`work ${index}`);
          })
          .then(() => releasedBy.set(index, flushes)),
      ),
    );
    // The first writer starts a flush alone; the other 49 gather for the next one.
    expect(flushes).toBe(2);
    expect(releasedBy.size).toBe(50);
    for (const [index, flush] of releasedBy) {
      expect(log.indexOf(`work ${index}`), `writer ${index}`).toBeLessThan(
        log.indexOf(`flush ${flush}`),
      );
    }
  });

  it('rejects the writers of a failed flush and of failed work, and keeps serving later ones', async () => {
    let fail = true;
    const group = new GroupCommit(async () => {
      if (fail) throw new Error('disk full');
    });
    await expect(group.commit(async () => undefined)).rejects.toThrow('disk full');
    fail = false;
    await expect(
      group.commit(async () => {
        throw new Error('own failure');
      }),
    ).rejects.toThrow('own failure');
    await expect(group.commit(async () => undefined)).resolves.toBeUndefined();
  });
});
