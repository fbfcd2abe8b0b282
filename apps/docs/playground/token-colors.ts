/**
 * Colours of token ids: neighbouring ids get far-apart hues (golden-angle steps), so a strip of
 * tokens shows at a glance which positions share an id and which ones changed.
 */
export function tokenColor(id: number, maskId?: number): string {
  if (maskId !== undefined && id === maskId) return 'transparent';
  const hue = (id * 137.508) % 360;
  const light = 42 + ((id * 7) % 3) * 9;
  return `hsl(${hue.toFixed(1)}, 68%, ${light}%)`;
}

/** Black or white, whichever reads better on {@link tokenColor}. */
export function tokenTextColor(id: number): string {
  const light = 42 + ((id * 7) % 3) * 9;
  const hue = (id * 137.508) % 360;
  const bright = light > 50 || (hue > 40 && hue < 200 && light > 45);
  return bright ? '#111' : '#fff';
}
