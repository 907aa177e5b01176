import { createHash } from 'node:crypto';

/**
 * A UUID for a Cairn run (`pipeline/<time id>`) or any other key, the same on every export:
 * shaped as a UUIDv7, the first 48 bits the time in milliseconds (so ids sort by when runs
 * started, as OpenLineage recommends), version 7, variant 10, the other 74 bits from the
 * SHA-256 of the key. Re-exporting a run gives the same runId, so a lineage backend merges the
 * events instead of seeing a new run.
 */
export function deterministicRunId(key: string, milliseconds: number): string {
  const bytes = createHash('sha256').update(key).digest();
  const time = BigInt(Math.max(0, Math.min(Math.floor(milliseconds), 2 ** 48 - 1)));
  for (let index = 0; index < 6; index += 1) {
    bytes[index] = Number((time >> BigInt(8 * (5 - index))) & 0xffn);
  }
  bytes[6] = 0x70 | ((bytes[6] as number) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
