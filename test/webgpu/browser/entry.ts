// Bundled for Chromium by ../browser.test.ts: backend selection and image preparation in a page.
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, releaseBackend, selectBackend } from '@titok/core';
import type { BackendInfo } from '@titok/core';
import { prepareImages } from '../../../packages/tokenizer/src/image/index.js';

interface PageResult {
  auto: BackendInfo;
  autoText: string;
  crossOriginIsolated: boolean;
  images: Record<string, number[]>;
  notLoaded: string;
  webgpu: BackendInfo | string;
  webgpuMatMul: number[];
  webgpuImage: number[];
  leaked: number;
}

async function tensorValues(t: tf.Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

async function run(size: number): Promise<PageResult> {
  const auto = await selectBackend({ wasmPaths: '/wasm/' });
  const before = tf.memory().numTensors;
  const img = new Image();
  img.src = '/images/coffee_256.png';
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(img, 0, 0);
  const imageData = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const bitmap = await createImageBitmap(await (await fetch('/images/coffee_256.png')).blob());
  const images: Record<string, number[]> = {
    HTMLImageElement: await tensorValues(prepareImages(img, { size })),
    HTMLCanvasElement: await tensorValues(prepareImages(canvas, { size })),
    ImageData: await tensorValues(prepareImages(imageData, { size })),
    ImageBitmap: await tensorValues(prepareImages(bitmap, { size })),
  };
  let notLoaded = '';
  try {
    prepareImages(new Image(), { size });
  } catch (e) {
    notLoaded = `${(e as Error).name}: ${(e as Error).message}`;
  }
  const leaked = tf.memory().numTensors - before;

  let webgpu: BackendInfo | string;
  let webgpuMatMul: number[] = [];
  let webgpuImage: number[] = [];
  try {
    webgpu = await selectBackend({ backend: 'webgpu' });
    webgpuMatMul = await tensorValues(tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]))));
    webgpuImage = await tensorValues(prepareImages(img, { size }));
    await releaseBackend();
  } catch (e) {
    webgpu = `${(e as Error).name}: ${(e as Error).message}`;
  }
  return { auto, autoText: describeBackend(auto), crossOriginIsolated, images, notLoaded, webgpu, webgpuMatMul, webgpuImage, leaked };
}

(globalThis as unknown as { titokRun: typeof run }).titokRun = run;
(globalThis as unknown as { titokReady: boolean }).titokReady = true;
