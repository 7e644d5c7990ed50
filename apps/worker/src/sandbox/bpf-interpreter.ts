import {
  BPF_ALU_AND_K,
  BPF_JEQ_K,
  BPF_JGE_K,
  BPF_JSET_K,
  BPF_LD_W_ABS,
  BPF_RET_K,
  type Instruction,
} from './bpf.js';

/** What the kernel hands a seccomp filter for one system call (struct seccomp_data). */
export interface SeccompData {
  nr: number;
  arch: number;
  /** Up to six arguments; the filter reads their low 32 bits. */
  args?: readonly number[];
}

const SECCOMP_DATA_SIZE = 64;

/**
 * Checks what the kernel's verifier checks for the subset this project emits: only
 * known opcodes, loads inside struct seccomp_data, every jump lands inside the
 * program (classic BPF jumps only forward, so every path ends), and the last
 * instruction returns. Throws on the first problem, naming the instruction.
 */
export function validateProgram(program: readonly Instruction[]): void {
  if (program.length === 0 || program.length > 4096) {
    throw new Error(`a seccomp program has 1 to 4096 instructions, not ${program.length}`);
  }
  program.forEach((ins, pc) => {
    switch (ins.code) {
      case BPF_LD_W_ABS:
        if (ins.k % 4 !== 0 || ins.k + 4 > SECCOMP_DATA_SIZE)
          throw new Error(`instruction ${pc} loads outside seccomp_data (offset ${ins.k})`);
        break;
      case BPF_JEQ_K:
      case BPF_JGE_K:
      case BPF_JSET_K:
        for (const offset of [ins.jt, ins.jf]) {
          if (!Number.isInteger(offset) || offset < 0 || offset > 255)
            throw new Error(`instruction ${pc} has a jump offset ${offset} that does not fit`);
          if (pc + 1 + offset >= program.length)
            throw new Error(`instruction ${pc} jumps past the end of the program`);
        }
        break;
      case BPF_RET_K:
      case BPF_ALU_AND_K:
        break;
      default:
        throw new Error(`instruction ${pc} has an opcode this filter never emits (${ins.code})`);
    }
    if (!Number.isInteger(ins.k) || ins.k < 0 || ins.k > 0xffffffff)
      throw new Error(`instruction ${pc} has a constant outside 32 bits`);
  });
  if (program.at(-1)?.code !== BPF_RET_K) throw new Error('the program does not end by returning');
}

/** Runs the program on one system call, as the kernel would, and returns its verdict. */
export function evaluate(program: readonly Instruction[], data: SeccompData): number {
  const word = (offset: number): number => {
    if (offset === 0) return data.nr >>> 0;
    if (offset === 4) return data.arch >>> 0;
    if (offset >= 16) {
      const index = Math.floor((offset - 16) / 8);
      const value = BigInt(data.args?.[index] ?? 0);
      // Low word first (little-endian), as struct seccomp_data is laid out on x86_64.
      return offset % 8 === 0
        ? Number(BigInt.asUintN(32, value))
        : Number(BigInt.asUintN(32, value >> 32n));
    }
    return 0; // the instruction pointer: never read by this filter
  };
  let accumulator = 0;
  for (let pc = 0; pc < program.length;) {
    const ins = program[pc] as Instruction;
    switch (ins.code) {
      case BPF_LD_W_ABS:
        accumulator = word(ins.k);
        pc++;
        break;
      case BPF_JEQ_K:
        pc += 1 + (accumulator === ins.k >>> 0 ? ins.jt : ins.jf);
        break;
      case BPF_JGE_K:
        pc += 1 + (accumulator >= ins.k >>> 0 ? ins.jt : ins.jf);
        break;
      case BPF_JSET_K:
        pc += 1 + ((accumulator & ins.k) >>> 0 !== 0 ? ins.jt : ins.jf);
        break;
      case BPF_ALU_AND_K:
        accumulator = (accumulator & ins.k) >>> 0;
        pc++;
        break;
      case BPF_RET_K:
        return ins.k >>> 0;
      default:
        throw new Error(`unknown opcode ${ins.code} at ${pc}`);
    }
  }
  throw new Error('the program ran off its end');
}
