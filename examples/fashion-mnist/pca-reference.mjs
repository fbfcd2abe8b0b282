#!/usr/bin/env node
/**
 * A reference for the tokenizer's reconstruction PSNR: what plain PCA reaches on Fashion-MNIST
 * with k continuous (float) coefficients per image, fitted on the 60,000 training images and
 * measured on the 10,000 test images exactly as evaluate.mjs measures the tokenizer: the 28x28
 * picture padded by 2 black pixels to 32x32 (the padding is reconstructed exactly), grey copied
 * to RGB, the reconstruction clipped to [0, 1] and truncated to 8 bits like `titok reconstruct`
 * (toUint8Images), PSNR over all pixels of all test images.
 *
 *   node examples/fashion-mnist/pca-reference.mjs [--iterations 40] [--block 256]
 *
 * The principal components are the top eigenvectors of the 784x784 covariance of the training
 * pictures (Float64, mean-centred), found by subspace iteration on a block of --block vectors
 * with modified Gram-Schmidt, then Rayleigh-Ritz with a cyclic Jacobi eigensolver. Plain
 * JavaScript, no tfjs. Writes examples/fashion-mnist/results/pca-reference.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadFashionMnist } from '@titok/io/node';
import { stageTimer, writeJson } from './lib/stages.mjs';
import { PATHS, TOKENIZER_CONFIG } from './settings.mjs';

const { values: opts } = parseArgs({
  options: {
    iterations: { type: 'string', default: '40' },
    block: { type: 'string', default: '256' },
  },
});
const KS = [16, 32, 48, 64, 100, 150, 200];
const K = KS.at(-1);
const P = Math.max(K, Number(opts.block));
const ITERATIONS = Number(opts.iterations);
const log = (s) => process.stdout.write(`${s}\n`);
const timer = stageTimer();
const t0 = performance.now();
const seconds = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

const [train, test] = [await loadFashionMnist('train', { pad: 0 }), await loadFashionMnist('test', { pad: 0 })];
const PAD = 2;
const N = train.height * train.width; // 784
const S = train.height + 2 * PAD; // 32
if (S !== TOKENIZER_CONFIG.dataset.preprocessing.crop_size) throw new Error(`padded pictures are ${S}x${S}, the tokenizer takes ${TOKENIZER_CONFIG.dataset.preprocessing.crop_size}`);

/**
 * The mean and the covariance (Float64, N x N, divided by the count) of uint8 images. The sums of
 * products of the 0..255 values are integers below 2^53, so they are exact before the centring.
 */
function covariance(pixels, count) {
  const B = 128; // images per chunk
  const sum = new Float64Array(N);
  const M = new Float64Array(N * N); // upper triangle of sum x x^T
  const X = new Float64Array(N * B); // the chunk, pixel-major: X[p * B + t]
  const active = new Int32Array(N);
  for (let s = 0; s < count; s += B) {
    const n = Math.min(B, count - s);
    X.fill(0);
    let na = 0;
    for (let p = 0; p < N; p++) {
      let any = 0;
      for (let t = 0; t < n; t++) {
        const v = pixels[(s + t) * N + p];
        X[p * B + t] = v;
        any |= v;
      }
      if (any) active[na++] = p;
    }
    for (let ai = 0; ai < na; ai++) {
      const a = active[ai];
      const ao = a * B;
      let sa = 0;
      for (let t = 0; t < n; t++) sa += X[ao + t];
      sum[a] += sa;
      const row = a * N;
      let bi = ai;
      // Two columns at a time: one pass over row a serves both.
      for (; bi + 1 < na; bi += 2) {
        const b0 = active[bi];
        const b1 = active[bi + 1];
        const o0 = b0 * B;
        const o1 = b1 * B;
        let acc0 = 0;
        let acc1 = 0;
        for (let t = 0; t < n; t++) {
          const x = X[ao + t];
          acc0 += x * X[o0 + t];
          acc1 += x * X[o1 + t];
        }
        M[row + b0] += acc0;
        M[row + b1] += acc1;
      }
      if (bi < na) {
        const b0 = active[bi];
        const o0 = b0 * B;
        let acc0 = 0;
        for (let t = 0; t < n; t++) acc0 += X[ao + t] * X[o0 + t];
        M[row + b0] += acc0;
      }
    }
  }
  const mean = sum.map((v) => v / count);
  const C = new Float64Array(N * N);
  for (let a = 0; a < N; a++) {
    for (let b = a; b < N; b++) {
      const c = (M[a * N + b] - count * mean[a] * mean[b]) / count;
      C[a * N + b] = c;
      C[b * N + a] = c;
    }
  }
  return { mean, C };
}

/** Y = C Q for Q of `p` column vectors of length N, each contiguous (Q[j * N + i]). */
function multiply(C, Q, p, Y) {
  for (let j = 0; j < p; j += 2) {
    const q0 = j * N;
    const q1 = Math.min(j + 1, p - 1) * N;
    for (let i = 0; i < N; i++) {
      const r = i * N;
      let acc0 = 0;
      let acc1 = 0;
      for (let k = 0; k < N; k++) {
        const c = C[r + k];
        acc0 += c * Q[q0 + k];
        acc1 += c * Q[q1 + k];
      }
      Y[q0 + i] = acc0;
      Y[q1 + i] = acc1;
    }
  }
}

const dot = (A, ao, B, bo, n) => {
  let acc = 0;
  for (let k = 0; k < n; k++) acc += A[ao + k] * B[bo + k];
  return acc;
};

/** Orthonormalises the `p` columns of Q in place (modified Gram-Schmidt, twice for safety). */
function orthonormalise(Q, p) {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < p; j++) {
      const qj = j * N;
      for (let i = 0; i < j; i++) {
        const qi = i * N;
        const r = dot(Q, qi, Q, qj, N);
        for (let k = 0; k < N; k++) Q[qj + k] -= r * Q[qi + k];
      }
      const norm = Math.sqrt(dot(Q, qj, Q, qj, N));
      for (let k = 0; k < N; k++) Q[qj + k] /= norm;
    }
  }
}

/**
 * Eigen-decomposition of a symmetric n x n matrix A (row-major, overwritten) by cyclic Jacobi
 * rotations. Returns the eigenvalues and V with the eigenvectors as columns (V[i * n + j]).
 */
function jacobiEigen(A, n) {
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += A[i] * A[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q] ** 2;
    if (off <= 1e-30 * total) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (Math.abs(apq) <= 1e-300) continue;
        const theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const t = Math.abs(theta) > 1e150 ? 1 / (2 * theta) : Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A <- A J (columns p, q), then A <- J^T A (rows p, q); V <- V J.
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p];
          const akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k];
          const aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => A[i * n + i]), V };
}

/** The top `k` eigenpairs of C, by subspace iteration on `p` vectors and Rayleigh-Ritz. */
function topEigenvectors(C, k, p, iterations) {
  let seed = 12345;
  const random = () => {
    // xorshift32, for a reproducible start
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32 - 0.5;
  };
  let Q = Float64Array.from({ length: p * N }, random);
  let Y = new Float64Array(p * N);
  orthonormalise(Q, p);
  for (let it = 0; it < iterations; it++) {
    multiply(C, Q, p, Y);
    [Q, Y] = [Y, Q];
    orthonormalise(Q, p);
  }
  // Rayleigh-Ritz: H = Q^T C Q, H = W diag(theta) W^T, Ritz vectors Q W.
  multiply(C, Q, p, Y);
  const H = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = i; j < p; j++) H[i * p + j] = H[j * p + i] = (dot(Q, i * N, Y, j * N, N) + dot(Q, j * N, Y, i * N, N)) / 2;
  const { values, V: W } = jacobiEigen(H, p);
  const order = Array.from({ length: p }, (_, i) => i).sort((a, b) => values[b] - values[a]).slice(0, k);
  const vectors = new Float64Array(k * N);
  for (let r = 0; r < k; r++) {
    const j = order[r];
    for (let i = 0; i < p; i++) {
      const w = W[i * p + j];
      for (let x = 0; x < N; x++) vectors[r * N + x] += w * Q[i * N + x];
    }
  }
  // Residuals ||C v - theta v|| / theta_1: how far the subspace iteration got.
  const y = new Float64Array(N);
  let residual = 0;
  for (let r = 0; r < k; r++) {
    const theta = values[order[r]];
    for (let i = 0; i < N; i++) y[i] = dot(C, i * N, vectors, r * N, N) - theta * vectors[r * N + i];
    residual = Math.max(residual, Math.sqrt(dot(y, 0, y, 0, N)));
  }
  return { values: order.map((j) => values[j]), vectors, residual: residual / values[order[0]] };
}

const { mean, C } = covariance(train.pixels, train.count);
log(`covariance of ${train.count} training pictures (${train.height}x${train.width}): ${seconds()}`);
let trace = 0;
for (let i = 0; i < N; i++) trace += C[i * N + i];
const eig = topEigenvectors(C, K, P, ITERATIONS);
log(`top ${K} principal components (${ITERATIONS} subspace iterations on ${P} vectors): ${seconds()}, max residual ||Cv - λv|| / λ1 = ${eig.residual.toExponential(1)}`);

// Reconstruct every test picture from its first k coefficients, for all k at once.
const seFloat = new Float64Array(KS.length); // clipped to [0, 255], not quantised
const seUint8 = new Float64Array(KS.length); // clipped and truncated to 8 bits, as titok reconstruct
const d = new Float64Array(N);
const r = new Float64Array(N);
const coef = new Float64Array(K);
for (let n = 0; n < test.count; n++) {
  const off = n * N;
  for (let i = 0; i < N; i++) d[i] = test.pixels[off + i] - mean[i];
  for (let j = 0; j < K; j++) coef[j] = dot(d, 0, eig.vectors, j * N, N);
  r.set(mean);
  let next = 0;
  for (let j = 0; j < K; j++) {
    const c = coef[j];
    const v = j * N;
    for (let i = 0; i < N; i++) r[i] += c * eig.vectors[v + i];
    if (j + 1 === KS[next]) {
      let [sf, su] = [0, 0];
      for (let i = 0; i < N; i++) {
        const y = r[i] < 0 ? 0 : r[i] > 255 ? 255 : r[i];
        const x = test.pixels[off + i];
        sf += (y - x) ** 2;
        su += (Math.floor(y) - x) ** 2;
      }
      seFloat[next] += sf;
      seUint8[next] += su;
      next++;
    }
  }
}
// The padding is black in and out: it adds pixels but no error. Grey = RGB: the three channels
// have the same error, so the mean over 32x32x3 is the mean over 32x32.
const count = test.count * S * S;
const psnr = (se) => +(10 * Math.log10((255 * 255) / (se / count))).toFixed(2);

let captured = 0;
const rows = KS.map((k, i) => {
  for (let j = i === 0 ? 0 : KS[i - 1]; j < k; j++) captured += eig.values[j];
  return { k, psnr: psnr(seUint8[i]), psnrFloat: psnr(seFloat[i]), variance: +(captured / trace).toFixed(4) };
});
log(`\nPCA on Fashion-MNIST, PSNR on the ${test.count} test images (${S}x${S}, as evaluate.mjs measures the tokenizer):\n`);
log('     k | PSNR, 8-bit | PSNR, float | training variance kept');
for (const row of rows) log(`${String(row.k).padStart(6)} | ${row.psnr.toFixed(2).padStart(8)} dB | ${row.psnrFloat.toFixed(2).padStart(8)} dB | ${(100 * row.variance).toFixed(1).padStart(6)}%`);
const { codebook_size: codebook } = TOKENIZER_CONFIG.model.vq_model;
const tokens = TOKENIZER_CONFIG.model.vq_model.num_latent_tokens;
const bits = tokens * Math.log2(codebook);
const evaluation = path.join(PATHS.results, 'evaluation.json');
const tokenizerPsnr = fs.existsSync(evaluation) ? JSON.parse(fs.readFileSync(evaluation, 'utf8')).psnr : null;
log(`\nthe tokenizer: ${tokens} tokens from a codebook of ${codebook} = ${bits} bits per image; ${tokenizerPsnr ?? '?'} dB (results/evaluation.json)`);

const out = {
  note:
    'Global PSNR of PCA reconstructions (k float64 coefficients, fitted on the 60,000 training pictures) of the 10,000 Fashion-MNIST test images, ' +
    'measured like the tokenizer in evaluate.mjs: 32x32 (28x28 padded by 2 black pixels, reconstructed exactly), grey = RGB, clipped to [0, 1] and truncated to 8 bits. ' +
    'psnrFloat: clipped but not quantised. bits: what the tokenizer\'s code of an image carries, tokens x log2(codebook).',
  psnr: Object.fromEntries(rows.map((row) => [row.k, row.psnr])),
  psnrFloat: Object.fromEntries(rows.map((row) => [row.k, row.psnrFloat])),
  trainingVarianceKept: Object.fromEntries(rows.map((row) => [row.k, row.variance])),
  bits,
  tokenizer: { tokens, codebook, psnr: tokenizerPsnr },
  method: { subspaceIterations: ITERATIONS, block: P, maxRelativeResidual: +eig.residual.toExponential(2) },
  times: timer.stop(),
};
const file = path.join(PATHS.results, 'pca-reference.json');
writeJson(file, out);
log(`wrote ${file} (${seconds()})`);
