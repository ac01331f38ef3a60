/**
 * The lvskit docs site (VitePress). `npm run docs` generates the API reference into docs/api/ with typedoc
 * (typedoc-plugin-markdown), then builds this site into docs/.vitepress/dist/. Everything is local: no web
 * fonts, scripts or search services (the default theme ships its font; search is VitePress's local index).
 * Dead internal links fail the build.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitepress';

const api = join(import.meta.dirname, '..', 'api', '@lvskit');
/** One sidebar entry per package (and its `/testing` subpath) the API reference was generated for. */
const apiPackages = existsSync(api)
  ? readdirSync(api, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .flatMap((e) => [
        { text: `@lvskit/${e.name}`, link: `/api/@lvskit/${e.name}/` },
        ...(existsSync(join(api, e.name, 'testing', 'index.md'))
          ? [{ text: `@lvskit/${e.name}/testing`, link: `/api/@lvskit/${e.name}/testing/` }]
          : []),
      ])
  : [];

export default defineConfig({
  title: 'lvskit',
  description: 'Linux Virtual Server, keepalived and ldirectord as an embeddable TypeScript SDK for Node.js',
  lang: 'en-US',
  // docs/README.md is the directory's own index for people reading the repository, not a page.
  srcExclude: ['README.md'],
  ignoreDeadLinks: false,
  lastUpdated: false,
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Migrate', link: '/migrate/keepalived' },
      { text: 'Performance', link: '/performance' },
      { text: 'Errors', link: '/errors' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: [
      {
        text: 'Guide',
        items: [
          { text: 'Getting started', link: '/guide/getting-started' },
          { text: 'Concepts for LVS operators', link: '/guide/concepts' },
          { text: 'Forwarding methods', link: '/guide/forwarding' },
          { text: 'Health checks', link: '/guide/health-checks' },
          { text: 'A VRRP HA pair', link: '/guide/vrrp' },
          { text: 'The assembled director', link: '/guide/director' },
        ],
      },
      {
        text: 'Migrating',
        items: [
          { text: 'From keepalived', link: '/migrate/keepalived' },
          { text: 'From ldirectord', link: '/migrate/ldirectord' },
          { text: 'From ipvsadm', link: '/migrate/ipvsadm' },
        ],
      },
      {
        text: 'Reference',
        items: [
          { text: 'Performance', link: '/performance' },
          { text: 'Error codes', link: '/errors' },
          { text: 'API reference', link: '/api/', items: apiPackages, collapsed: true },
        ],
      },
    ],
    search: { provider: 'local' },
    outline: { level: [2, 3] },
  },
  vite: {
    build: {
      // The local search index covers the whole API reference (about 1.7 MB); it is one lazily loaded
      // chunk, fetched only when the search box opens.
      chunkSizeWarningLimit: 4096,
    },
  },
});
