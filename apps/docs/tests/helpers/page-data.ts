/** Reading what the playground shows: token strips, canvases, status attributes. */
import type { Page } from 'playwright-core';

export interface Pixels {
  width: number;
  height: number;
  /** RGB, row-major. */
  rgb: number[];
}

/** The token ids a strip shows, read from its cells' text (masked cells read as null). */
export async function shownTokens(page: Page, testid: string): Promise<(number | null)[]> {
  const texts = await page.locator(`[data-testid="${testid}"] .pg-token-id`).allTextContents();
  return texts.map((t) => (/^\d+$/.test(t.trim()) ? Number(t.trim()) : null));
}

/** The pixels of a canvas at its own resolution (alpha dropped). */
export async function canvasPixels(page: Page, testid: string): Promise<Pixels> {
  return page.locator(`canvas[data-testid="${testid}"]`).evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const rgb: number[] = [];
    for (let i = 0; i < d.length; i += 4) rgb.push(d[i]!, d[i + 1]!, d[i + 2]!);
    return { width: c.width, height: c.height, rgb };
  });
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** How many values differ. */
export function countDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** PSNR in dB of two 8-bit images, as the playground computes it. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((255 * 255 * a.length) / se);
}

/** The data-* attributes of an element. */
export async function dataset(page: Page, testid: string): Promise<Record<string, string>> {
  return page.locator(`[data-testid="${testid}"]`).evaluate((el: HTMLElement) => ({ ...el.dataset }) as Record<string, string>);
}

/** Sets an input's value and fires `change` (what a user's edit does). */
export async function setValue(page: Page, testid: string, value: string | number): Promise<void> {
  await page.locator(`[data-testid="${testid}"]`).fill(String(value));
  await page.locator(`[data-testid="${testid}"]`).dispatchEvent('change');
}

/**
 * Runs `action` (a click, a file, a drop) and waits until image slot `slot` ('a' or 'b') has
 * tokenized again: its data-runs counter past its value before, and not busy.
 */
export async function afterSlotRun(page: Page, slot: 'a' | 'b', action: () => Promise<unknown>, timeout?: number): Promise<void> {
  const before = Number((await dataset(page, `slot-${slot}`)).runs);
  await action();
  await page.waitForFunction(
    ([s, n]) => {
      const el = document.querySelector<HTMLElement>(`[data-testid="slot-${s}"]`);
      return Number(el?.dataset.runs) > Number(n) && el?.dataset.busy === 'false';
    },
    [slot, before] as const,
    { timeout },
  );
}
