import { createHash, randomBytes } from 'node:crypto';
import { createSha256 } from './sha256.js';

describe('createSha256 (pure JavaScript, for browsers)', () => {
  test('matches node:crypto for the standard vectors and every length around block edges', () => {
    expect(createSha256().hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const abc = createSha256();
    abc.update(new TextEncoder().encode('abc'));
    expect(abc.hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (let n = 0; n < 200; n++) {
      const data = randomBytes(n);
      const h = createSha256();
      h.update(data);
      expect(h.hex()).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });

  test('is incremental: any split of the input gives the same digest', () => {
    const data = randomBytes(100_003);
    const want = createHash('sha256').update(data).digest('hex');
    for (const step of [1, 7, 63, 64, 65, 4096, 99_999]) {
      const h = createSha256();
      for (let i = 0; i < data.length; i += step) h.update(data.subarray(i, i + step));
      expect(h.hex()).toBe(want);
    }
  });
});
