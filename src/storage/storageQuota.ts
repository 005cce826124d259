// When the browser refuses to store more (IndexedDB's QuotaExceededError), the user gets a message with the
// space used and the space allowed (navigator.storage.estimate) and what to do: export what they want to
// keep, then delete runs, largest first (the runs table sorts by size). Nothing is dropped silently: the
// unsaved changes stay in memory and are written on the next successful flush.

export interface StorageUsage {
  /** Bytes this site uses, as the browser reports it; null when it does not say. */
  usage: number | null;
  quota: number | null;
}

export type EstimateStorage = () => Promise<StorageUsage>;

export const browserEstimate: EstimateStorage = async () => {
  try {
    const e = await globalThis.navigator?.storage?.estimate?.();
    return { usage: e?.usage ?? null, quota: e?.quota ?? null };
  } catch {
    return { usage: null, quota: null };
  }
};

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

export class StorageQuotaError extends Error {
  override name = 'StorageQuotaError';
  constructor(
    readonly usage: StorageUsage,
    /** Bytes the stored runs take (their JSON size), for the "free space" hint. */
    readonly runsBytes: number,
  ) {
    const used =
      usage.usage !== null && usage.quota !== null
        ? `This site uses ${formatBytes(usage.usage)} of the ${formatBytes(usage.quota)} the browser allows`
        : 'The browser does not say how much space this site may use';
    super(
      `The browser refused to store more runs: its storage for this site is full. ${used}; stored runs take about ${formatBytes(runsBytes)}. ` +
        'Unsaved changes are kept in this tab and saved once there is room: export the runs you want to keep, then delete runs (largest first) in the runs table.',
    );
  }
}

export class StorageError extends Error {
  override name = 'StorageError';
}

export function isQuotaError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { name, message } = e as { name?: unknown; message?: unknown };
  return name === 'QuotaExceededError' || (typeof message === 'string' && /quota/i.test(message));
}
