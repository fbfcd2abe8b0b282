export { loadStateDict, checkStateDict, assertStateDictMatches } from './load-state-dict.js';
export type { LoadStateDictOptions } from './load-state-dict.js';
