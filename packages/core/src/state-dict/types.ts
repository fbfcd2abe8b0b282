/**
 * The one in-memory picture of a checkpoint that every reader produces, whatever the file
 * format: tensor names in file order, each with its stored dtype, shape and a way to read its
 * bytes. Data is read lazily so that a 2.6 GB checkpoint can be inspected without loading it.
 */

/** Element types PyTorch writes, with safetensors' names. */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** The container a state dict was read from. */
export type CheckpointFormat = 'safetensors' | 'torch-zip' | 'torch-legacy' | 'tfjs';

/** Name, dtype and shape of one tensor, without its data. */
export interface TensorInfo {
  /** The state-dict key, e.g. `encoder.transformer.0.attn.in_proj_weight`. */
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Bytes of the contiguous data: element size times element count. */
  readonly byteLength: number;
}

/** One tensor of a state dict. */
export interface StateDictTensor extends TensorInfo {
  /**
   * Reads the tensor's contiguous little-endian bytes in its stored dtype (row-major, strides
   * already applied). Each call reads again; callers that keep the data hold the only copy.
   */
  read(): Promise<Uint8Array>;
}

/** A checkpoint's tensors, in file order. */
export interface StateDict {
  /** The container format. */
  readonly format: CheckpointFormat;
  /** File name or URL, for messages. */
  readonly source: string;
  /** Tensors by key, in the order the file lists them. */
  readonly tensors: ReadonlyMap<string, StateDictTensor>;
  /** Free-form string metadata (safetensors `__metadata__`, tfjs `generatedBy`, ...). */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * When the checkpoint wrapped its state dict (`{"state_dict": ...}`, `{"model": ...}`),
   * the path of keys that was unwrapped, e.g. `state_dict`.
   */
  readonly unwrapped?: string;
  /** Releases the underlying file handle, if any. Safe to call twice. */
  close(): Promise<void>;
}
