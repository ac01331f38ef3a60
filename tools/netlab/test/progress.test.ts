/**
 * The progress line: on a terminal one line rewritten in place (erase, then the text with step count and
 * elapsed time), cut to the terminal width and erased by `done()`; on anything else (CI, a pipe) not one
 * byte. Also the lab builders: on a non-terminal stderr they add nothing to it.
 */
import { describe, expect, it } from 'vitest';
import { Progress, type ProgressStream, progress } from '../src/index.js';

function stream(isTTY: boolean, columns?: number): ProgressStream & { out: string[] } {
  const out: string[] = [];
  return { isTTY, ...(columns === undefined ? {} : { columns }), out, write: (c: string) => out.push(c) };
}

describe('progress', () => {
  it('on a terminal: one line rewritten in place, with steps and elapsed time, erased when done', () => {
    const s = stream(true, 80);
    let now = 1000;
    const p = progress('netlab: building the lab', { total: 3, stream: s, clock: { now: () => now } });
    expect(p.visible).toBe(true);
    p.step('host client');
    now = 1500;
    p.step('host rs1');
    p.update('host rs1: eth0 up');
    p.done();
    p.step('after done'); // ignored
    expect(s.out).toEqual([
      '\r\x1b[2Knetlab: building the lab [1/3] host client (0.0 s)',
      '\r\x1b[2Knetlab: building the lab [2/3] host rs1 (0.5 s)',
      '\r\x1b[2Knetlab: building the lab [2/3] host rs1: eth0 up (0.5 s)',
      '\r\x1b[2K',
    ]);
    // Never a newline: the line is always rewritten, never scrolled.
    expect(s.out.join('')).not.toContain('\n');
    expect(p.steps).toBe(3);
  });

  it('cuts the line to the terminal width; without a total it counts steps', () => {
    const s = stream(true, 20);
    const p = progress('bench', { stream: s, clock: { now: () => 0 } });
    p.step('a very long task name that does not fit');
    expect(s.out[0]).toBe('\r\x1b[2Kbench [1] a very l…');
    expect(s.out[0]!.length - '\r\x1b[2K'.length).toBe(19);
    p.clear();
    p.clear(); // nothing drawn: nothing to erase
    expect(s.out).toHaveLength(2);
  });

  it('not on a terminal (CI, pipe): writes nothing at all', () => {
    const s = stream(false, 80);
    const p = new Progress('netlab: building the lab', { total: 2, stream: s });
    expect(p.visible).toBe(false);
    p.step('host a');
    p.update('x');
    p.clear();
    p.done();
    expect(s.out).toEqual([]);
    const noFlag = {
      out: [] as string[],
      write(c: string) {
        this.out.push(c);
      },
    };
    progress('x', { stream: noFlag }).step('y');
    expect(noFlag.out).toEqual([]);
  });

  it('refuses a bad total', () => {
    expect(() => progress('x', { total: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => progress('x', { total: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
