/**
 * The arithmetic of one MaskGIT sampling step on host data, rounded to float32 after every
 * operation exactly as the reference's float32 tensors are. tfjs backends have no sort kernel,
 * and doing the selection here (on a few thousand numbers) keeps every decision independent of
 * the backend: only the network's logits come from tfjs.
 */
import { gumbelF32 } from './gumbel.js';

const f32 = Math.fround;

/**
 * Classifier-free guidance, in place into `out`: c + (c − u) · scale, or for power-cosine
 * u + (c − u) · scale; then, when `annealDivisor` is given, divided by it. `scale` and the
 * divisor are rounded to float32 first, as a Python scalar is when it meets a float32 tensor.
 */
export function guideLogits(
  cond: Float32Array,
  uncond: Float32Array | undefined,
  scale: number,
  powerCosine: boolean,
  annealDivisor: number | undefined,
  out: Float32Array = new Float32Array(cond.length),
): Float32Array {
  const s = f32(scale);
  const d = annealDivisor === undefined ? undefined : f32(annealDivisor);
  for (let i = 0; i < cond.length; i++) {
    const c = cond[i]!;
    let v = c;
    if (uncond) {
      const u = uncond[i]!;
      v = f32((powerCosine ? u : c) + f32(f32(c - u) * s));
    }
    out[i] = d === undefined ? v : f32(v / d);
  }
  return out;
}

/** Inputs of {@link maskgitStep}. Arrays are row-major; N samples, L positions, K codes. */
export interface StepInput {
  n: number;
  seqLen: number;
  codebookSize: number;
  /** The mask token id (= K). */
  maskId: number;
  /** Ids entering the step, N x L. */
  ids: Int32Array;
  /** Guided logits, N x L x K. */
  logits: Float32Array;
  /** First uniform draw, N x L x K. */
  uniformLogits: Float32Array;
  /** Second uniform draw, N x L. */
  uniformConfidence: Float32Array;
  /** Gumbel temperature of the step. */
  temperature: number;
  /** Number of positions to mask again (from {@link maskLength}). */
  maskLength: number;
  /** At the last step the picks are the result and nothing is masked. */
  last: boolean;
}

/**
 * One step: pick = argmax(logits + t·gumbel(U1)) (first index on ties) at masked positions,
 * keep decided ones; confidence = the picked logit (+∞ where already decided) + t·gumbel(U2);
 * the cut is each sample's n-th smallest confidence and every position with confidence <= cut
 * is masked again (unless this is the last step). Returns the new ids, N x L.
 */
export function maskgitStep(x: StepInput): Int32Array {
  const { n, seqLen: L, codebookSize: K, maskId } = x;
  const t = f32(x.temperature);
  const picks = new Int32Array(n * L);
  const confidence = new Float32Array(n * L);
  for (let p = 0; p < n * L; p++) {
    const base = p * K;
    let best = -Infinity;
    let bestK = 0;
    for (let k = 0; k < K; k++) {
      const v = f32(x.logits[base + k]! + f32(t * gumbelF32(x.uniformLogits[base + k]!)));
      if (v > best) {
        best = v;
        bestK = k;
      }
    }
    const masked = x.ids[p] === maskId;
    picks[p] = masked ? bestK : x.ids[p]!;
    const picked = masked ? x.logits[base + bestK]! : Infinity;
    confidence[p] = f32(picked + f32(t * gumbelF32(x.uniformConfidence[p]!)));
  }
  if (x.last) return picks;
  const out = new Int32Array(n * L);
  const row = new Float32Array(L);
  for (let s = 0; s < n; s++) {
    row.set(confidence.subarray(s * L, (s + 1) * L));
    row.sort();
    const cut = row[x.maskLength - 1]!;
    for (let l = 0; l < L; l++) {
      const p = s * L + l;
      out[p] = confidence[p]! <= cut ? maskId : picks[p]!;
    }
  }
  return out;
}
