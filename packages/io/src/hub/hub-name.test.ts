import { hubFileUrl, parseHubName, requireHubName } from './hub-name.js';
import { hubSettings } from './hub-options.js';

describe('hub names', () => {
  test('short names, preset names and repo ids of released models resolve to their repo', () => {
    for (const n of ['titok-l32', 'titok_l32', 'TiTok-L32', 'yucornetto/tokenizer_titok_l32_imagenet']) {
      expect(parseHubName(n)).toMatchObject({ repo: 'yucornetto/tokenizer_titok_l32_imagenet', preset: { name: 'titok_l32' } });
    }
    expect(parseHubName('titok-l32-generator')?.repo).toBe('yucornetto/generator_titok_l32_imagenet');
    expect(parseHubName('titok-s128@v1')).toMatchObject({ repo: 'yucornetto/tokenizer_titok_s128_imagenet', revision: 'v1' });
  });

  test('any owner/name is a repo id; paths, URLs and the unpublished MaskGIT-VQGAN are not', () => {
    expect(parseHubName('someone/my-titok.v2')).toEqual({ repo: 'someone/my-titok.v2', revision: undefined });
    expect(parseHubName('someone/model@refs/pr/3')).toEqual({ repo: 'someone/model', revision: 'refs/pr/3' });
    for (const n of ['./models/x', '/abs/path', 'models/x/y', 'https://h/x/y', 'C:\\x\\y', 'file:x/y', 'a/../b', 'titok-l33', 'maskgit-vqgan', '']) {
      expect(parseHubName(n)).toBeUndefined();
    }
    expect(() => requireHubName('nope')).toThrow(/'nope' is not a hub model name/);
  });

  test('URLs and settings: endpoint and token from the environment, options win', () => {
    expect(hubFileUrl('https://huggingface.co/', 'a/b', 'refs/pr/1', 'sub dir/model.safetensors')).toBe(
      'https://huggingface.co/a/b/resolve/refs%2Fpr%2F1/sub%20dir/model.safetensors',
    );
    const env = { TITOK_HUB_ENDPOINT: 'http://mirror.local/', HF_TOKEN: 'hf_env', TITOK_OFFLINE: '1' };
    expect(hubSettings({ env })).toMatchObject({ endpoint: 'http://mirror.local', token: 'hf_env', offline: true, revision: 'main' });
    expect(hubSettings({ env, endpoint: 'http://x', token: 'hf_opt', offline: false })).toMatchObject({ endpoint: 'http://x', token: 'hf_opt', offline: false });
    expect(hubSettings({ env, token: false }).token).toBeUndefined();
    expect(hubSettings({ env: {} })).toMatchObject({ endpoint: 'https://huggingface.co', offline: false });
  });
});
