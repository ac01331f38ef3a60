// @ts-check
/**
 * A typedoc plugin for the docs site: typedoc names each entry point's module after its path
 * (`director/src`); this names it after its package (`@lvskit/director`), as a reader imports it.
 */
import { Converter } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.children ?? []) {
      const m = /^([a-z-]+)\/src$/.exec(mod.name);
      if (m) mod.name = `@lvskit/${m[1]}`;
    }
  });
}
