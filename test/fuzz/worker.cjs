// Fuzz worker thread: runs fuzz-core on the TypeScript sources. It writes the current iteration
// and a heartbeat counter to shared memory, so the parent can tell a hang and name the input.
const { parentPort, workerData } = require('node:worker_threads');
require('./register-ts.cjs');
const { fuzz } = require('./fuzz-core.ts');

const progress = new Int32Array(workerData.progress);
fuzz({
  seed: workerData.seed,
  iterations: workerData.iterations,
  start: workerData.start,
  beat: (i) => {
    Atomics.store(progress, 0, i);
    Atomics.add(progress, 1, 1);
  },
}).then(
  (report) => parentPort.postMessage({ type: 'done', report }),
  (e) => parentPort.postMessage({ type: 'crash', error: (e && e.stack) || String(e) }),
);
