// @ts-check
/**
 * A typedoc plugin for the docs site: typedoc names each entry point's module after its path
 * (`director/src`, `director/src/testing`); this names it after the package export a reader imports
 * (`@lvskit/director`, `@lvskit/director/testing`).
 */
import { Converter } from 'typedoc';

/**
 * The import name of a module typedoc named after its path.
 * @param {string} name - typedoc's module name, e.g. `core/src/testing`
 * @returns {string | undefined} e.g. `@lvskit/core/testing`; undefined when it is not a package's entry
 */
export function packageModuleName(name) {
  const m = /^([a-z-]+)\/src(?:\/([a-z-]+))?$/.exec(name);
  if (!m) return undefined;
  return m[2] ? `@lvskit/${m[1]}/${m[2]}` : `@lvskit/${m[1]}`;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.children ?? []) {
      const name = packageModuleName(mod.name);
      if (name) mod.name = name;
    }
  });
}
