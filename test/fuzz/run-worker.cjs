// Runs the fuzz loop in a worker thread under a watchdog: if the worker's heartbeat stops for
// `hangMs`, it is terminated and the hang is reported with the seed and iteration.
const path = require('node:path');
const { Worker } = require('node:worker_threads');

/**
 * @param {{ seed: number, iterations: number, start?: number, hangMs?: number, onProgress?: (i: number) => void }} o
 * @returns {Promise<{ report?: object, hang?: { seed: number, iteration: number }, crash?: string }>}
 */
function runFuzz(o) {
  const progress = new SharedArrayBuffer(8);
  const view = new Int32Array(progress);
  const worker = new Worker(path.join(__dirname, 'worker.cjs'), {
    workerData: { seed: o.seed, iterations: o.iterations, start: o.start ?? 0, progress },
    resourceLimits: { maxOldGenerationSizeMb: 2048 },
  });
  return new Promise((resolve) => {
    let beats = -1;
    let still = 0;
    const hangMs = o.hangMs ?? 10000;
    const timer = setInterval(() => {
      const b = Atomics.load(view, 1);
      o.onProgress?.(Atomics.load(view, 0));
      if (b !== beats) {
        beats = b;
        still = 0;
        return;
      }
      still += 500;
      if (beats >= 0 && still >= hangMs) {
        clearInterval(timer);
        const iteration = Atomics.load(view, 0);
        worker.terminate().then(() => resolve({ hang: { seed: o.seed, iteration } }));
      }
    }, 500);
    worker.on('message', (m) => {
      clearInterval(timer);
      worker.terminate();
      resolve(m.type === 'done' ? { report: m.report } : { crash: m.error });
    });
    worker.on('error', (e) => {
      clearInterval(timer);
      resolve({ crash: `${e && e.stack ? e.stack : e} (at iteration ${Atomics.load(view, 0)}, seed ${o.seed})` });
    });
  });
}

module.exports = { runFuzz };
