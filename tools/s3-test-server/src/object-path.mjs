// The bucket and key of a path-style object request (`/bucket/key`), shared by the middlewares
// that answer object requests in front of s3rver.

/**
 * The bucket and key `path` names, decoded the way s3rver's router decodes them; undefined
 * when the path names no object or holds malformed escapes (s3rver answers those itself).
 *
 * @param {string} path
 * @returns {{ bucket: string, key: string } | undefined}
 */
export function objectPathOf(path) {
  const match = /^\/([^/]+)\/(.+)$/.exec(path);
  if (match === null) return undefined;
  try {
    return { bucket: decodeURIComponent(match[1]), key: decodeURIComponent(match[2]) };
  } catch {
    return undefined;
  }
}
