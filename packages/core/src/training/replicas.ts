import { CancelledError, InputError } from '../errors/index.js';

/**
 * One of `count` data-parallel training replicas: copies of the same trainer (same seed, options
 * and checkpoint), each in its own thread, each computing the gradients of its share of every
 * batch. {@link ReplicaGroup.allGather} is the only exchange they need; since every replica
 * combines the gathered values in the same order, all of them apply the same update and stay
 * identical, bit for bit.
 */
export interface ReplicaGroup {
  /** This replica's position, 0 to `count` − 1. */
  readonly index: number;
  readonly count: number;
  /**
   * Every replica's `values` (the same length in each), concatenated in replica order: the same
   * array in every replica. All replicas must make the same calls in the same order.
   *
   * @throws CancelledError when another replica failed or stopped answering
   */
  allGather(values: Float32Array): Promise<Float32Array>;
}

/** The shared memory of a {@link ReplicaGroup}: make it once, pass it to every worker. */
export interface ReplicaBuffers {
  count: number;
  /** Values each replica can contribute to one gather. */
  capacity: number;
  /** Int32 words: generation, arrivals, abort flag, then each replica's contribution length. */
  control: SharedArrayBuffer;
  /** `count` slots of `capacity` float32 values. */
  data: SharedArrayBuffer;
}

const GENERATION = 0;
const ARRIVED = 1;
const ABORTED = 2;
const LENGTHS = 3;

/**
 * Shared memory for `count` replicas exchanging up to `capacity` values each per gather (for
 * training: the number of parameters plus a few dozen).
 */
export function createReplicaBuffers(count: number, capacity: number): ReplicaBuffers {
  if (!Number.isInteger(count) || count < 1) throw new InputError(`the replica count must be a positive integer, got ${count}`);
  if (!Number.isInteger(capacity) || capacity < 1) throw new InputError(`the replica capacity must be a positive integer, got ${capacity}`);
  return { count, capacity, control: new SharedArrayBuffer(4 * (LENGTHS + count)), data: new SharedArrayBuffer(4 * count * capacity) };
}

/**
 * Stops a group: every replica waiting in, or next entering, {@link ReplicaGroup.allGather}
 * throws a CancelledError. For the thread that sees a replica fail.
 */
export function abortReplicas(buffers: ReplicaBuffers): void {
  const control = new Int32Array(buffers.control);
  Atomics.store(control, ABORTED, 1);
  Atomics.notify(control, GENERATION);
}

/** Options of {@link sharedMemoryReplica}. */
export interface SharedReplicaOptions {
  /** Give up (and abort the group) when the others have not all arrived after this long (default 10 min). */
  timeoutMs?: number;
}

/**
 * Replica `index` of a group that exchanges through `buffers` (shared memory and `Atomics`): for
 * worker threads (Node's worker_threads, or Web Workers on a cross-origin-isolated page). Waiting
 * blocks the thread, so do not use it on a browser's main thread.
 */
export function sharedMemoryReplica(buffers: ReplicaBuffers, index: number, options: SharedReplicaOptions = {}): ReplicaGroup {
  const { count, capacity } = buffers;
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new InputError(`replica index ${index} is outside 0..${count - 1}`);
  const control = new Int32Array(buffers.control);
  const slots = Array.from({ length: count }, (_, r) => new Float32Array(buffers.data, 4 * r * capacity, capacity));
  const timeoutMs = options.timeoutMs ?? 600_000;

  const fail = (message: string): never => {
    abortReplicas(buffers);
    throw new CancelledError(message);
  };
  const checkAborted = () => {
    if (Atomics.load(control, ABORTED)) throw new CancelledError(`replica ${index}: the replica group was stopped (another replica failed)`);
  };
  /** Returns once every replica has arrived (a generation-counting barrier). */
  const barrier = () => {
    checkAborted();
    const generation = Atomics.load(control, GENERATION);
    if (Atomics.add(control, ARRIVED, 1) === count - 1) {
      Atomics.store(control, ARRIVED, 0);
      Atomics.add(control, GENERATION, 1);
      Atomics.notify(control, GENERATION);
    } else {
      const deadline = Date.now() + timeoutMs;
      while (Atomics.load(control, GENERATION) === generation) {
        checkAborted();
        if (Date.now() > deadline) fail(`replica ${index}: the other replicas did not arrive within ${timeoutMs / 1000} s`);
        Atomics.wait(control, GENERATION, generation, Math.max(1, Math.min(1000, deadline - Date.now())));
      }
    }
    checkAborted();
  };

  return {
    index,
    count,
    async allGather(values: Float32Array): Promise<Float32Array> {
      if (values.length > capacity) fail(`replica ${index}: ${values.length} values to gather, the replica buffers hold ${capacity} (create them with a larger capacity)`);
      slots[index]!.set(values);
      Atomics.store(control, LENGTHS + index, values.length);
      barrier();
      for (let r = 0; r < count; r++) {
        const n = Atomics.load(control, LENGTHS + r);
        if (n !== values.length) fail(`replica ${index} gathered ${values.length} values, replica ${r} ${n}: the replicas are out of step`);
      }
      const out = new Float32Array(count * values.length);
      slots.forEach((s, r) => out.set(s.subarray(0, values.length), r * values.length));
      // Nobody writes the next gather's values before everyone has read these.
      barrier();
      return out;
    },
  };
}
