/**
 * The gate every lab test passes through: can namespaces be built here? Under `CI=true` a missing
 * prerequisite is a failure (CI must never silently skip the lab); elsewhere the test is skipped with the
 * reason printed. It creates and deletes one probe namespace with the lab prefix and nothing else.
 */
import { accessSync, appendFileSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LvsError } from '@lvskit/base';
import { arpingUnavailableReason } from './arp.js';
import { pingUnavailableReason } from './icmp.js';
import { newPrefix } from './lab.js';
import { runCommandSync } from './proc.js';

let cached: string | undefined | null = null;

/** Why the lab cannot run here, or undefined when it can (probed once per process). */
export function labUnavailableReason(): string | undefined {
  if (cached !== null) return cached;
  cached = probe();
  return cached;
}

function probe(): string | undefined {
  if (process.platform !== 'linux') return `network labs need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network labs need root (ip netns add)';
  const list = runCommandSync(['ip', 'netns', 'list'], { check: false });
  if (list.code !== 0) return `\`ip netns list\` failed (is iproute2 installed?): ${list.stderr.trim()}`;
  // A probe namespace with a fresh prefix; if this process dies right here, the sweeper's "no state file"
  // rule removes it.
  const ns = `${newPrefix()}probe`;
  const add = runCommandSync(['ip', 'netns', 'add', ns], { check: false });
  if (add.code !== 0) return `\`ip netns add\` failed: ${add.stderr.trim()}`;
  runCommandSync(['ip', 'netns', 'del', ns], { check: false });
  return undefined;
}

/**
 * For lab tests: true when namespaces can be built here. When they cannot, throws under `CI=true`
 * (`NETLAB_UNAVAILABLE`: the test must fail), otherwise prints the reason and returns false (skip).
 * @example const canRun = requireLab(); describe.runIf(canRun)('my lab', () => { … });
 */
export function requireLab(): boolean {
  const reason = labUnavailableReason();
  if (reason === undefined) return true;
  if (process.env.CI === 'true') throw new LvsError('NETLAB_UNAVAILABLE', `netlab: ${reason} (CI=true: failing)`);
  noteSkip(`netlab: skipping lab test: ${reason}`);
  return false;
}

/** The Debian package of each tool lab tests use (what to install when it is missing). */
const DEBIAN_PACKAGE: Readonly<Record<string, string>> = {
  ethtool: 'ethtool',
  arping: 'iputils-arping',
  curl: 'curl',
  gobgpd: 'gobgpd',
  gobgp: 'gobgpd',
  bird: 'bird2',
  birdc: 'bird2',
};

/** True when `name` is an executable file in a directory of PATH. */
export function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * For lab tests that run a program inside the lab (`ethtool`, `curl`…; for ping and arping use the lab's own,
 * {@link requireOwnTools}): true when every one is
 * installed. When one is not: throws under `CI=true` (`NETLAB_UNAVAILABLE`: the test must fail), otherwise
 * prints one line naming what is skipped and what is missing, and returns false (skip).
 * @param what - the tests that need them, for the printed line
 * @param tools - program names looked up on PATH
 * @example const canRun = requireLab() && requireTools('the offload lab', 'ethtool');
 */
export function requireTools(what: string, ...tools: string[]): boolean {
  const missing = tools.filter((t) => !onPath(t));
  if (missing.length === 0) return true;
  const list = missing.map((t) => `${t} (Debian: ${DEBIAN_PACKAGE[t] ?? t})`).join(', ');
  if (process.env.CI === 'true') {
    throw new LvsError('NETLAB_UNAVAILABLE', `netlab: ${what} needs ${list}, not installed (CI=true: failing)`);
  }
  noteSkip(`netlab: skipping ${what}: not installed: ${list}`);
  return false;
}

/** The lab's own tools, each with why it cannot work here (undefined when it can). */
const OWN_TOOLS = {
  ping: pingUnavailableReason,
  arping: arpingUnavailableReason,
} as const;

/**
 * For lab tests that use the lab's own `Lab.ping` / `Lab.arping` (no iputils): true when they work here.
 * They need the addons `npm install` builds (`raw-socket` for ping, `@lvskit/native` for arping); when one
 * does not load: throws under `CI=true` (`NETLAB_UNAVAILABLE`), otherwise prints one line naming what is
 * skipped and why, and returns false (skip).
 * @param what - the tests that need them, for the printed line
 * @example const canRun = requireLab() && requireOwnTools('the VIP ownership lab', 'ping', 'arping');
 */
export function requireOwnTools(what: string, ...tools: (keyof typeof OWN_TOOLS)[]): boolean {
  const reasons = tools.flatMap((t) => {
    const r = OWN_TOOLS[t]();
    return r === undefined ? [] : [`netlab ${t}: ${r}`];
  });
  if (reasons.length === 0) return true;
  // The addons build with g++, make and python3 (Debian packages of the same names).
  const list = `${reasons.join('; ')}; build them with npm install (Debian: g++ make python3)`;
  if (process.env.CI === 'true') {
    throw new LvsError('NETLAB_UNAVAILABLE', `netlab: ${what} cannot run: ${list} (CI=true: failing)`);
  }
  noteSkip(`netlab: skipping ${what}: ${list}`);
  return false;
}

/**
 * Prints why a test is skipped (one line) and, when the test runner asked for it (`LVSKIT_SKIP_LOG`, set by
 * scripts/run-tests.mjs), records the line there so the run can end with the one `apt-get install` line that
 * would run every skipped test. Name Debian packages in the line as `(Debian: a b)` or `(Debian package a)`.
 */
export function noteSkip(line: string): void {
  console.warn(line);
  const log = process.env.LVSKIT_SKIP_LOG;
  if (log) {
    try {
      appendFileSync(log, `${line.replace(/\n/g, ' ')}\n`);
    } catch {
      // the log is a convenience: a test never fails for it
    }
  }
}
