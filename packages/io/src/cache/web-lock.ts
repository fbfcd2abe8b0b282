interface LockManagerLike {
  request(name: string, callback: () => Promise<void>): Promise<void>;
}

/**
 * Holds a Web Lock (`navigator.locks`) named `name` until the returned release function is
 * called, so two tabs never download the same file at once. Resolves at once, with `waited`
 * false, where the API does not exist.
 */
export async function holdWebLock(name: string): Promise<{ release: () => Promise<void>; waited: boolean }> {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (!locks) return { release: async () => {}, waited: false };
  let free!: () => void;
  const held = new Promise<void>((r) => (free = r));
  const started = Date.now();
  await new Promise<void>((acquired) => {
    void locks.request(name, () => {
      acquired();
      return held;
    });
  });
  return { release: async () => free(), waited: Date.now() - started > 20 };
}
