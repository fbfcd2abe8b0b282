/**
 * The generators' token space (spec section 6), K = codebook size, Y = number of classes:
 * 0..K-1 image tokens, K the mask token, K+1+y class y, K+1+Y the "no class" token.
 */

/** The mask token id: K. */
export function maskTokenId(codebookSize: number): number {
  return codebookSize;
}

/** The class token of class `label`: K + 1 + y. */
export function classTokenId(codebookSize: number, label: number): number {
  return codebookSize + 1 + label;
}

/** The "no class" token of unconditional passes: K + 1 + Y. */
export function noClassTokenId(codebookSize: number, numClasses: number): number {
  return codebookSize + 1 + numClasses;
}

/** Size of the embedding vocabulary: K + Y + 2. */
export function vocabSize(codebookSize: number, numClasses: number): number {
  return codebookSize + numClasses + 2;
}

/** The network's input, B x (1 + L): [classTokens[b], ids[b, ...]] row by row. */
export function buildSequence(ids: Int32Array, classTokens: Int32Array, seqLen: number): Int32Array {
  const b = classTokens.length;
  if (ids.length !== b * seqLen) throw new Error(`buildSequence: ${ids.length} ids for ${b} sequences of ${seqLen}`);
  const out = new Int32Array(b * (seqLen + 1));
  for (let i = 0; i < b; i++) {
    out[i * (seqLen + 1)] = classTokens[i]!;
    out.set(ids.subarray(i * seqLen, (i + 1) * seqLen), i * (seqLen + 1) + 1);
  }
  return out;
}
