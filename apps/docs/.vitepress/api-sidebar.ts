/**
 * The API reference's sidebar, read from what TypeDoc wrote into `api/` (one folder per
 * package, one page per exported member, grouped by kind).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DefaultTheme } from 'vitepress';

const KINDS: Record<string, string> = {
  classes: 'Classes',
  functions: 'Functions',
  interfaces: 'Interfaces',
  'type-aliases': 'Types',
  variables: 'Constants',
  enumerations: 'Enumerations',
};

function pages(dir: string, base: string): DefaultTheme.SidebarItem[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f !== 'index.md')
    .sort((a, b) => a.localeCompare(b))
    .map((f) => ({ text: f.replace(/\.md$/, ''), link: `${base}/${f.replace(/\.md$/, '')}` }));
}

export function apiSidebar(root: string): DefaultTheme.SidebarItem[] {
  const api = path.join(root, 'api');
  if (!fs.existsSync(api)) return [{ text: 'API (run TypeDoc: npm run build)', link: '/api/' }];
  const items: DefaultTheme.SidebarItem[] = [{ text: 'Overview', link: '/api/' }];
  for (const pkg of fs.readdirSync(api, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const pkgDir = path.join(api, pkg);
    const groups: DefaultTheme.SidebarItem[] = [];
    for (const [folder, text] of Object.entries(KINDS)) {
      const dir = path.join(pkgDir, folder);
      if (fs.existsSync(dir)) groups.push({ text, collapsed: true, items: pages(dir, `/api/${pkg}/${folder}`) });
    }
    items.push({ text: `@titok/${pkg.replace(/^titok\./, '')}`, link: `/api/${pkg}/`, collapsed: true, items: groups });
  }
  return items;
}
