// Run by hub-concurrency.test.ts in a separate process: downloads one hub file into a cache.
import { fetchHubFile } from '@titok/io';

const [endpoint, cacheDir, repo, file] = process.argv.slice(2) as [string, string, string, string];
fetchHubFile(repo, file, { endpoint, cacheDir, env: {}, retryDelayMs: 20 }).then(
  (entry) => process.stdout.write(JSON.stringify({ sha256: entry.meta.sha256, path: entry.path, pid: process.pid })),
  (err: Error) => {
    process.stderr.write(`${err.name}: ${err.message}\n`);
    process.exitCode = 2;
  },
);
