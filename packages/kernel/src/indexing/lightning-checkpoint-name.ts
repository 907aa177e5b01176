/** What a Lightning checkpoint's file name says. */
export interface LightningCheckpointName {
  /** `epoch=<n>` in the name. */
  readonly epoch?: number;
  /** `step=<n>` in the name (Lightning's global step). */
  readonly step?: number;
  /** Every other numeric `name=value` part (`val_loss=0.25`), as ModelCheckpoint formats metrics. */
  readonly metrics: Readonly<Record<string, number>>;
  /** `name=value` parts whose value is not a number. */
  readonly labels: Readonly<Record<string, string>>;
  /** The `-v<n>` suffix ModelCheckpoint adds when a name is taken. */
  readonly version?: number;
  /** `last.ckpt` (or `last-v1.ckpt`): the checkpoint saved at the end, whatever its epoch. */
  readonly last: boolean;
}

const partName = /(?:^|-)([A-Za-z_][A-Za-z0-9_.]*)=/g;

/**
 * Reads a ModelCheckpoint file name such as `epoch=3-step=1200-val_loss=0.25-v1.ckpt`. Values
 * run up to the next `-name=`, so negative numbers (`loss=-0.5`) keep their sign.
 */
export function parseLightningCheckpointName(fileName: string): LightningCheckpointName {
  let stem = fileName.replace(/\.ckpt$/, '');
  let version: number | undefined;
  const versionMatch = /-v(\d+)$/.exec(stem);
  if (versionMatch?.[1] !== undefined) {
    version = Number(versionMatch[1]);
    stem = stem.slice(0, versionMatch.index);
  }
  const metrics: Record<string, number> = {};
  const labels: Record<string, string> = {};
  let epoch: number | undefined;
  let step: number | undefined;
  const starts = [...stem.matchAll(partName)];
  starts.forEach((match, index) => {
    const name = match[1] as string;
    const valueStart = match.index + match[0].length;
    const next = starts[index + 1];
    const raw = stem.slice(valueStart, next === undefined ? stem.length : next.index);
    const number = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(number)) {
      labels[name] = raw;
      return;
    }
    if (name === 'epoch' && Number.isSafeInteger(number) && number >= 0) epoch = number;
    else if (name === 'step' && Number.isSafeInteger(number) && number >= 0) step = number;
    else metrics[name] = number;
  });
  return {
    metrics,
    labels,
    last: /^last$/.test(stem),
    ...(epoch === undefined ? {} : { epoch }),
    ...(step === undefined ? {} : { step }),
    ...(version === undefined ? {} : { version }),
  };
}
