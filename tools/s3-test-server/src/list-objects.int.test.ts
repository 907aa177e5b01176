// These tests check listings as S3 answers them, which the test server imitates because s3rver
// lists in directory-walk order (`a/b` before `a`), lets common prefixes exceed MaxKeys, and
// continues after the last key of a page even when the page ended with a common prefix.
import {
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { s3ErrorOf, useTestClient } from './testing/test-client.js';

const bucket = 'cairn-test';

// In UTF-8 byte order; JavaScript's `<` (UTF-16) would put 🙂 before ～.
const orderedNames = ['Z', 'a', 'a-b', 'a/b', 'a0', 'b', '~', 'é', '中', '～', '😀', '🙂', '🙂/x'];

const folderNames = ['a.txt', 'dir1-sibling', 'dir1/x', 'dir1/y/z', 'dir2/v/u', 'dir2/w', 'z.txt'];

/** Every page of a V2 listing, following continuation tokens (at most `maximumPages`). */
async function allPages(
  client: S3Client,
  input: ListObjectsV2CommandInput,
  maximumPages = 50,
): Promise<ListObjectsV2CommandOutput[]> {
  const pages: ListObjectsV2CommandOutput[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        ...input,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    pages.push(page);
    expect(pages.length, 'the listing ends').toBeLessThanOrEqual(maximumPages);
    token = page.NextContinuationToken;
    expect(token === undefined, 'a truncated page has a token, the last one none').toBe(
      page.IsTruncated !== true,
    );
  } while (token !== undefined);
  return pages;
}

function keysOf(pages: readonly ListObjectsV2CommandOutput[], prefix: string): string[] {
  return pages.flatMap((page) =>
    (page.Contents ?? []).map((object) => (object.Key ?? '').slice(prefix.length)),
  );
}

function prefixesOf(pages: readonly ListObjectsV2CommandOutput[], prefix: string): string[] {
  return pages.flatMap((page) =>
    (page.CommonPrefixes ?? []).map((common) => (common.Prefix ?? '').slice(prefix.length)),
  );
}

describe('listings imitated in s3rver', () => {
  const s3 = useTestClient();

  beforeAll(async () => {
    const keys = [
      ...[...orderedNames].reverse().map((name) => `order/${name}`),
      ...folderNames.map((name) => `folders/${name}`),
    ];
    for (const key of keys) {
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    }
  });

  it('lists keys in UTF-8 byte order, in one page and across pages of 2', async () => {
    const [whole] = await allPages(s3.client, { Bucket: bucket, Prefix: 'order/' });
    expect(keysOf([whole as ListObjectsV2CommandOutput], 'order/')).toEqual(orderedNames);
    const paged = await allPages(s3.client, { Bucket: bucket, Prefix: 'order/', MaxKeys: 2 });
    expect(paged.length).toBe(Math.ceil(orderedNames.length / 2));
    expect(keysOf(paged, 'order/')).toEqual(orderedNames);
    expect(paged.map((page) => page.KeyCount)).toEqual(
      paged.map((page) => (page.Contents ?? []).length),
    );
  });

  it('StartAfter resumes after a key in byte order, existing or not', async () => {
    for (const [startAfter, expected] of [
      ['order/a', orderedNames.slice(2)],
      ['order/a.', orderedNames.slice(3)],
      ['order/～', ['😀', '🙂', '🙂/x']],
      ['order/🙂', ['🙂/x']],
    ] as const) {
      const pages = await allPages(s3.client, {
        Bucket: bucket,
        Prefix: 'order/',
        StartAfter: startAfter,
        MaxKeys: 3,
      });
      expect(keysOf(pages, 'order/'), startAfter).toEqual(expected);
    }
  });

  it('a continuation token overrides StartAfter', async () => {
    const first = await s3.client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: 'order/',
        MaxKeys: 3,
        StartAfter: 'order/a',
      }),
    );
    expect(keysOf([first], 'order/')).toEqual(['a-b', 'a/b', 'a0']);
    for (const startAfter of ['order/', 'order/～']) {
      const second = await s3.client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: 'order/',
          MaxKeys: 3,
          StartAfter: startAfter,
          ContinuationToken: first.NextContinuationToken,
        }),
      );
      expect(keysOf([second], 'order/'), `StartAfter ${startAfter}`).toEqual(['b', '~', 'é']);
    }
  });

  it('with a delimiter, KeyCount and MaxKeys count keys and common prefixes alike', async () => {
    const [page] = await allPages(s3.client, {
      Bucket: bucket,
      Prefix: 'folders/',
      Delimiter: '/',
    });
    expect(keysOf([page as ListObjectsV2CommandOutput], 'folders/')).toEqual([
      'a.txt',
      'dir1-sibling',
      'z.txt',
    ]);
    expect(prefixesOf([page as ListObjectsV2CommandOutput], 'folders/')).toEqual([
      'dir1/',
      'dir2/',
    ]);
    expect(page?.KeyCount).toBe(5);

    // Pages of one entry each, in order; after a common prefix the next page skips its keys.
    const pages = await allPages(s3.client, {
      Bucket: bucket,
      Prefix: 'folders/',
      Delimiter: '/',
      MaxKeys: 1,
    });
    expect(
      pages.map((each) => [...keysOf([each], 'folders/'), ...prefixesOf([each], 'folders/')]),
    ).toEqual([['a.txt'], ['dir1-sibling'], ['dir1/'], ['dir2/'], ['z.txt']]);
    expect(pages.map((each) => each.KeyCount)).toEqual([1, 1, 1, 1, 1]);

    const inside = await allPages(s3.client, {
      Bucket: bucket,
      Prefix: 'folders/dir1/',
      Delimiter: '/',
      MaxKeys: 1,
    });
    expect(keysOf(inside, 'folders/dir1/')).toEqual(['x']);
    expect(prefixesOf(inside, 'folders/dir1/')).toEqual(['y/']);
  });

  it('ListObjects (V1) pages with NextMarker, a common prefix included', async () => {
    const entries: string[] = [];
    let marker: string | undefined;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await s3.client.send(
        new ListObjectsCommand({
          Bucket: bucket,
          Prefix: 'folders/',
          Delimiter: '/',
          MaxKeys: 2,
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
      );
      entries.push(
        ...(page.Contents ?? []).map((object) => object.Key ?? ''),
        ...(page.CommonPrefixes ?? []).map((common) => common.Prefix ?? ''),
      );
      if (page.IsTruncated !== true) break;
      marker = page.NextMarker;
    }
    expect(entries.map((entry) => entry.slice('folders/'.length)).sort()).toEqual(
      ['a.txt', 'dir1-sibling', 'dir1/', 'dir2/', 'z.txt'].sort(),
    );
  });

  it('a continuation token the server did not issue is InvalidArgument', async () => {
    const error = await s3ErrorOf(
      s3.client.send(
        new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: 'not-a-token' }),
      ),
    );
    expect(error.name).toBe('InvalidArgument');
  });
});
