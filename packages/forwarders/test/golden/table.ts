/**
 * Runs golden rows (description, input frame, expected verdict, expected output frame) through the pure
 * rewrite: parse once, rewrite in place in a buffer with room to grow, compare every byte. A frame that
 * fails to parse is a drop with the parser's reason, as the datapath treats it.
 */

import { DROP_REASON_NAMES, DropReason, Verdict } from '@lvskit/base';
import { expect, it } from 'vitest';
import {
  createForwardParams,
  type ForwardParams,
  type ForwardParamsInit,
  PacketInfo,
  parsePacket,
  RewriteResult,
} from '../../src/index.js';

/** A rewrite under test. */
export type Rewrite = (frame: Uint8Array, len: number, info: PacketInfo, p: ForwardParams, r: RewriteResult) => Verdict;

/** One golden row. */
export interface GoldenRow {
  /** What the row shows. */
  name: string;
  /** The frame as received. */
  input: Uint8Array;
  /** The method. */
  rewrite: Rewrite;
  /** The decision. */
  params: ForwardParamsInit;
  /** Expected verdict. */
  verdict: Verdict;
  /** Expected output frame (FORWARD / REPLY). */
  output?: Uint8Array;
  /** Expected drop reason (DROP). */
  reason?: DropReason;
  /** Buffer capacity (default: input length + 64). */
  capacity?: number;
}

const VERDICT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Verdict).map(([k, v]) => [v, k]));

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** Registers one `it` per row. */
export function runGolden(rows: GoldenRow[]): void {
  for (const row of rows) {
    it(row.name, () => {
      const cap = row.capacity ?? row.input.length + 64;
      const buf = new Uint8Array(cap);
      buf.set(row.input);
      const info = new PacketInfo();
      const r = new RewriteResult();
      const p = createForwardParams(row.params);
      const pr = parsePacket(buf, row.input.length, info);
      const verdict = pr === DropReason.NONE ? row.rewrite(buf, row.input.length, info, p, r) : Verdict.DROP;
      const reason = pr === DropReason.NONE ? r.reason : pr;
      expect(VERDICT_NAMES[verdict]).toBe(VERDICT_NAMES[row.verdict]);
      if (row.verdict === Verdict.DROP) {
        expect(DROP_REASON_NAMES[reason]).toBe(DROP_REASON_NAMES[row.reason ?? -1]);
      } else {
        expect(reason).toBe(DropReason.NONE);
        expect(hex(buf.subarray(0, r.length))).toBe(hex(row.output!));
      }
    });
  }
}
