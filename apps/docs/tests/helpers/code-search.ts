/** The playground's code-search box on image slot a, as both browser tests check it. */
import type { Page } from 'playwright-core';
import type { TinyExpectations } from './fixtures';
import { afterSlotRun, dataset, shownTokens } from './page-data';
import { referenceSearch } from './reference';

/** Clicks slot a's search box and waits for the slot to tokenize again. */
export function toggleSearch(page: Page, timeout?: number): Promise<void> {
  return afterSlotRun(page, 'a', () => page.click('[data-testid="search-a"]'), timeout);
}

/**
 * Turns the search on for slot a (showing the first sample picture, nearest codes) and checks
 * it: a higher PSNR than before, other tokens than the reference's, and exactly the tokens the
 * library's guided search gives in Node for the same picture. Leaves the search on.
 */
export async function expectGuidedSearch(page: Page, want: TinyExpectations, timeout?: number): Promise<void> {
  const nearest = Number((await dataset(page, 'psnr-a')).psnr);
  await toggleSearch(page, timeout);
  expect(Number((await dataset(page, 'psnr-a')).psnr)).toBeGreaterThan(nearest);
  const searched = await shownTokens(page, 'tokens-a');
  expect(searched).toHaveLength(want.numTokens);
  expect(searched).not.toEqual(want.pictures[0]!.tokens);
  expect(searched).toEqual(await referenceSearch(want.pictures[0]!.input, want.size));
}
