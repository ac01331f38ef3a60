// @ts-check
/**
 * A typedoc plugin for the docs site: typedoc names each entry point's module after its path
 * (`director/src`, `director/src/testing`); this names it after the package export a reader imports
 * (`@lvskit/director`, `@lvskit/director/testing`).
 */
import { Converter } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.children ?? []) {
      const m = /^([a-z-]+)\/src(?:\/(testing|cli))?$/.exec(mod.name);
      if (m) mod.name = m[2] ? `@lvskit/${m[1]}/${m[2]}` : `@lvskit/${m[1]}`;
    }
  });
}
