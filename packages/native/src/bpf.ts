/**
 * Classic BPF programs for packet sockets (Documentation/networking/filter.rst; include/uapi/linux/filter.h):
 * the instruction shape, the opcodes the filters here need, and the encoding into the bytes of an array of
 * `struct sock_filter` (u16 code, u8 jt, u8 jf, u32 k, in host byte order) that `PacketSocket.setFilter`
 * attaches with SO_ATTACH_FILTER. Owns encoding and its validation only; the kernel's verifier still checks
 * what a program does.
 */
import { endianness } from 'node:os';
import { LvsError } from '@lvskit/base';

/** One classic BPF instruction. */
export interface BpfInstruction {
  /** Opcode (class | size | mode, or class | op | source), 0..0xffff. */
  readonly code: number;
  /** Jump offset when the test is true (instructions after the next), 0..255. */
  readonly jt: number;
  /** Jump offset when the test is false, 0..255. */
  readonly jf: number;
  /** The constant operand, 0..2^32−1. */
  readonly k: number;
}

/** The classic BPF opcodes the packet filters here use (linux/bpf_common.h, linux/filter.h). */
export const BpfOp = {
  /** `ld [k]`: A ← the 32-bit word at offset k (network order). BPF_LD | BPF_W | BPF_ABS. */
  LD_W_ABS: 0x20,
  /** `ldh [k]`: A ← the 16-bit half-word at offset k. BPF_LD | BPF_H | BPF_ABS. */
  LD_H_ABS: 0x28,
  /** `ldb [k]`: A ← the byte at offset k. BPF_LD | BPF_B | BPF_ABS. */
  LD_B_ABS: 0x30,
  /** `jeq #k, jt, jf`. BPF_JMP | BPF_JEQ | BPF_K. */
  JEQ_K: 0x15,
  /** `ja k`: jump k instructions ahead. BPF_JMP | BPF_JA. */
  JA: 0x05,
  /** `ret #k`: accept k bytes of the packet (0 drops it). BPF_RET | BPF_K. */
  RET_K: 0x06,
} as const;

/** Most instructions a classic program may have (BPF_MAXINSNS). */
export const BPF_MAX_INSTRUCTIONS = 4096;

/**
 * Encodes a program as the kernel's array of `struct sock_filter`.
 * @throws LvsError `INVALID_ARGUMENT` for an empty or too long program, or a field out of its range
 */
export function encodeBpf(program: readonly BpfInstruction[]): Uint8Array {
  if (program.length === 0 || program.length > BPF_MAX_INSTRUCTIONS) {
    throw new LvsError('INVALID_ARGUMENT', `bpf: 1 to ${BPF_MAX_INSTRUCTIONS} instructions, got ${program.length}`);
  }
  const out = new Uint8Array(program.length * 8);
  const view = new DataView(out.buffer);
  const le = endianness() === 'LE';
  program.forEach((ins, i) => {
    const ok =
      Number.isInteger(ins.code) &&
      ins.code >= 0 &&
      ins.code <= 0xffff &&
      Number.isInteger(ins.jt) &&
      ins.jt >= 0 &&
      ins.jt <= 255 &&
      Number.isInteger(ins.jf) &&
      ins.jf >= 0 &&
      ins.jf <= 255 &&
      Number.isInteger(ins.k) &&
      ins.k >= 0 &&
      ins.k <= 0xffffffff;
    if (!ok) throw new LvsError('INVALID_ARGUMENT', `bpf: instruction ${i} out of range: ${JSON.stringify(ins)}`);
    view.setUint16(i * 8, ins.code, le);
    out[i * 8 + 2] = ins.jt;
    out[i * 8 + 3] = ins.jf;
    view.setUint32(i * 8 + 4, ins.k, le);
  });
  return out;
}
