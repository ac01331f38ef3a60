// @ts-check
/**
 * `npm run docs`: typedoc (warnings are errors, typedoc.json `treatWarningsAsErrors`) generates the API
 * reference into docs/api/, then `vitepress build docs` builds the site into docs/.vitepress/dist/ (dead links
 * are errors, `ignoreDeadLinks: false`). VitePress does not fail on a warning, so this does: any line of its
 * output that is a warning (`(!)`, `warning`, `[vite] …warn…`) fails the script after the build.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Runs a command in the repository root, echoing its output; resolves to its status and output. */
function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      output += d;
      process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const WARNING = /\(!\)|\bwarn(ing)?\b/i;

const started = performance.now();
rmSync(join(root, 'docs', 'api'), { recursive: true, force: true });
const typedoc = await run(bin('typedoc'), []);
if (typedoc.code !== 0) {
  console.error('docs: typedoc failed');
  process.exit(typedoc.code);
}
const site = await run(bin('vitepress'), ['build', 'docs']);
if (site.code !== 0) {
  console.error('docs: vitepress build failed');
  process.exit(site.code);
}
const warnings = site.output.split('\n').filter((l) => WARNING.test(l));
if (warnings.length > 0) {
  console.error(`docs: the site build printed ${warnings.length} warning line(s):\n${warnings.join('\n')}`);
  process.exit(1);
}
console.log(`docs: built docs/.vitepress/dist in ${((performance.now() - started) / 1000).toFixed(1)} s`);
