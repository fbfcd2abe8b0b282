/**
 * Data-parallel training on worker threads: the main thread starts `count` copies of a script,
 * each a replica of one trainer (see `Trainer.useReplicas` in @titok/core) on its own core, and
 * waits for them. Replica 0 leads: it alone logs, checkpoints, exports and reports its result.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { abortReplicas, createReplicaBuffers, sharedMemoryReplica } from '@titok/core';

/** Values a replica exchanges per step, at most: room for 4M parameters. */
const CAPACITY = 1 << 22;

/**
 * Runs `count` replicas of the script at `url` with command-line `argv`; resolves to what the
 * lead sent with {@link sendLeadResult}. When one fails the others are stopped and the first
 * failure is thrown.
 */
export async function runReplicas(url, count, argv) {
  const buffers = createReplicaBuffers(count, CAPACITY);
  let result;
  let failure;
  const fail = (e) => {
    failure ??= e;
    abortReplicas(buffers);
  };
  await Promise.all(
    Array.from({ length: count }, (_, index) => {
      const worker = new Worker(url, { argv, workerData: { replica: { buffers, index } } });
      return new Promise((resolve) => {
        worker.on('message', (m) => {
          if (m && 'leadResult' in m) result = m.leadResult;
        });
        worker.on('error', fail);
        worker.on('exit', (code) => {
          if (code !== 0) fail(new Error(`replica ${index} exited with code ${code}`));
          resolve();
        });
      });
    }),
  );
  if (failure) throw failure;
  return result;
}

/** In a replica's thread: its group (for `trainer.useReplicas`); undefined in the main thread. */
export function replicaGroup() {
  if (isMainThread || !workerData?.replica) return undefined;
  return sharedMemoryReplica(workerData.replica.buffers, workerData.replica.index);
}

/** From the lead replica: the value {@link runReplicas} resolves to. */
export function sendLeadResult(value) {
  parentPort.postMessage({ leadResult: value });
}
