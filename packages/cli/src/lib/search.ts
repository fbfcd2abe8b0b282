import { CODE_SEARCH_DEFAULTS } from '@titok/tokenizer';
import type { CodeSearchOptions } from '@titok/tokenizer';
import { UsageError, flag, num } from './args.js';
import type { OptionSpec, ParsedArgs } from './command.js';

/** The code-search options of `encode` and `reconstruct`. */
export const SEARCH_OPTIONS: OptionSpec = {
  search: { type: 'boolean' },
  'search-candidates': { type: 'string' },
  'search-sweeps': { type: 'string' },
  'search-tries': { type: 'string' },
};

export const SEARCH_USAGE = `  --search           VQ models: choose each token's code for the reconstruction among its
                     nearest codes instead of the nearest one (better reconstructions, at
                     tokens x (candidates - 1) x sweeps decodes of the image)
  --search-candidates <n>  codes each token tries (default ${CODE_SEARCH_DEFAULTS.candidates})
  --search-sweeps <n>      passes over the tokens (default ${CODE_SEARCH_DEFAULTS.sweeps})
  --search-tries <n>       guided: decode only the n candidates a token's gradient ranks
                           best (tokens x n x sweeps decodes; default: every candidate)`;

/** The code search asked for, or undefined; refuses its settings without --search. */
export function searchArg(args: ParsedArgs): CodeSearchOptions | undefined {
  const candidates = num(args, 'search-candidates', { integer: true, min: 1 });
  const sweeps = num(args, 'search-sweeps', { integer: true, min: 1 });
  const tries = num(args, 'search-tries', { integer: true, min: 1 });
  if (!flag(args, 'search')) {
    if (candidates !== undefined || sweeps !== undefined || tries !== undefined) throw new UsageError('--search-candidates, --search-sweeps and --search-tries need --search');
    return undefined;
  }
  return { ...(candidates !== undefined && { candidates }), ...(sweeps !== undefined && { sweeps }), ...(tries !== undefined && { tries }) };
}
