/** Classic BPF, as far as seccomp filters use it (linux/filter.h, linux/seccomp.h). */

export interface Instruction {
  code: number;
  /** Forward jump offsets when the comparison holds / fails (0..255). */
  jt: number;
  jf: number;
  k: number;
}

export const BPF_LD_W_ABS = 0x20;
export const BPF_JEQ_K = 0x15;
export const BPF_JGE_K = 0x35;
export const BPF_JSET_K = 0x45;
export const BPF_RET_K = 0x06;
/** accumulator &= k (BPF_ALU | BPF_AND | BPF_K). */
export const BPF_ALU_AND_K = 0x54;

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;

export const stmt = (code: number, k: number): Instruction => ({ code, jt: 0, jf: 0, k });
export const jump = (code: number, k: number, jt: number, jf: number): Instruction => ({
  code,
  jt,
  jf,
  k,
});
