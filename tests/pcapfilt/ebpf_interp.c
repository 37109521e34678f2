// SPDX-License-Identifier: GPL-2.0
/* tests/pcapfilt/ebpf_interp.c - see ebpf_interp.h */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tests/pcapfilt/ebpf_interp.h"

#define STACK_SIZE 512
#define MAX_STEPS 1000000

struct vm {
	uint64_t r[11];
	uint8_t stack[STACK_SIZE];
	uint8_t init[STACK_SIZE];
	const struct nt_interp_mem *mem;
	char *err;
	size_t errlen;
	size_t pc;
};

static int fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(vm->err, vm->errlen, "insn %zu: ", vm->pc);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < vm->errlen)
		vsnprintf(vm->err + n, vm->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* stack offset of [addr, addr + size), or -1 */
static long stack_off(uint64_t addr, uint64_t size)
{
	uint64_t lo = NT_INTERP_STACK_TOP - STACK_SIZE;

	if (addr < lo || addr + size > NT_INTERP_STACK_TOP || addr + size < addr)
		return -1;
	return (long)(addr - lo);
}

static int mem_access(struct vm *vm, uint64_t addr, int size, int write, uint64_t *val)
{
	long off = stack_off(addr, size);

	if (off < 0)
		return fail(vm, "%s of %d bytes at 0x%llx: not the stack", write ? "write" : "read",
			    size, (unsigned long long)addr);
	if (off % size)
		return fail(vm, "misaligned stack access at offset %ld", off - STACK_SIZE);
	if (write) {
		uint64_t v = *val;

		for (int i = 0; i < size; i++) {
			vm->stack[off + i] = (uint8_t)(v >> (8 * i)); /* little-endian */
			vm->init[off + i] = 1;
		}
	} else {
		uint64_t v = 0;

		for (int i = 0; i < size; i++) {
			if (!vm->init[off + i])
				return fail(vm, "read of unwritten stack at offset %ld", off - STACK_SIZE);
			v |= (uint64_t)vm->stack[off + i] << (8 * i);
		}
		*val = v;
	}
	return 0;
}

/* bpf_probe_read_kernel(dst, size, src) */
static int64_t probe_read(struct vm *vm, uint64_t dst, uint64_t size, uint64_t src, int *bad)
{
	long doff = stack_off(dst, size);
	long soff = stack_off(src, size);
	const struct nt_interp_mem *m = vm->mem;

	*bad = 0;
	if (doff < 0 || size == 0 || size > STACK_SIZE) {
		*bad = fail(vm, "probe_read: destination 0x%llx size %llu not on the stack",
			    (unsigned long long)dst, (unsigned long long)size);
		return 0;
	}
	if (soff >= 0) {
		for (uint64_t i = 0; i < size; i++)
			if (!vm->init[soff + i]) { /* the kernel would copy garbage: be strict */
				*bad = fail(vm, "probe_read of unwritten stack");
				return 0;
			}
		memmove(vm->stack + doff, vm->stack + soff, size);
	} else if (src >= NT_INTERP_PKT_ADDR && src + size <= NT_INTERP_PKT_ADDR + m->pkt_size &&
		   src + size >= src) {
		memcpy(vm->stack + doff, m->pkt + (src - NT_INTERP_PKT_ADDR), size);
	} else {
		memset(vm->stack + doff, 0, size);
		memset(vm->init + doff, 1, size);
		return -EFAULT;
	}
	memset(vm->init + doff, 1, size);
	return 0;
}

static uint64_t bswap_n(uint64_t v, int bits)
{
	switch (bits) {
	case 16: return __builtin_bswap16((uint16_t)v);
	case 32: return __builtin_bswap32((uint32_t)v);
	default: return __builtin_bswap64(v);
	}
}

static int alu(struct vm *vm, const struct bpf_insn *in)
{
	int is64 = BPF_CLASS(in->code) == BPF_ALU64;
	int op = BPF_OP(in->code);
	uint64_t *d = &vm->r[in->dst_reg];
	uint64_t s = BPF_SRC(in->code) == BPF_X ? vm->r[in->src_reg] : (uint64_t)(int64_t)in->imm;
	uint64_t a = *d;

	if (op == BPF_END) {
		if (BPF_SRC(in->code) != BPF_TO_BE || is64)
			return fail(vm, "only be16/be32/be64 on a little-endian host");
		if (in->imm != 16 && in->imm != 32 && in->imm != 64)
			return fail(vm, "bad byte swap width %d", in->imm);
		*d = bswap_n(a, in->imm);
		return 0;
	}
	if (!is64) {
		a = (uint32_t)a;
		s = (uint32_t)s;
	}
	switch (op) {
	case BPF_MOV: a = s; break;
	case BPF_ADD: a += s; break;
	case BPF_SUB: a -= s; break;
	case BPF_MUL: a *= s; break;
	case BPF_DIV:
		if (in->off)
			return fail(vm, "signed division not emitted");
		a = s ? a / s : 0;
		break;
	case BPF_MOD:
		if (in->off)
			return fail(vm, "signed modulo not emitted");
		a = s ? a % s : a;
		break;
	case BPF_AND: a &= s; break;
	case BPF_OR: a |= s; break;
	case BPF_XOR: a ^= s; break;
	case BPF_LSH:
	case BPF_RSH:
		if (s >= (uint64_t)(is64 ? 64 : 32))
			return fail(vm, "shift by %llu (the verifier refuses constants, JITs mask registers)",
				    (unsigned long long)s);
		a = op == BPF_LSH ? a << s : a >> s;
		break;
	case BPF_NEG: a = 0 - a; break;
	default:
		return fail(vm, "ALU op 0x%x not emitted", op);
	}
	*d = is64 ? a : (uint32_t)a;
	return 0;
}

static int cond(struct vm *vm, const struct bpf_insn *in, int *taken)
{
	int is32 = BPF_CLASS(in->code) == BPF_JMP32;
	uint64_t a = vm->r[in->dst_reg];
	uint64_t b = BPF_SRC(in->code) == BPF_X ? vm->r[in->src_reg] : (uint64_t)(int64_t)in->imm;
	int64_t sa, sb;

	if (is32) {
		a = (uint32_t)a;
		b = (uint32_t)b;
		sa = (int32_t)a;
		sb = (int32_t)b;
	} else {
		sa = (int64_t)a;
		sb = (int64_t)b;
	}
	switch (BPF_OP(in->code)) {
	case BPF_JEQ: *taken = a == b; break;
	case BPF_JNE: *taken = a != b; break;
	case BPF_JGT: *taken = a > b; break;
	case BPF_JGE: *taken = a >= b; break;
	case BPF_JLT: *taken = a < b; break;
	case BPF_JLE: *taken = a <= b; break;
	case BPF_JSET: *taken = (a & b) != 0; break;
	case BPF_JSGT: *taken = sa > sb; break;
	case BPF_JSGE: *taken = sa >= sb; break;
	case BPF_JSLT: *taken = sa < sb; break;
	case BPF_JSLE: *taken = sa <= sb; break;
	default: return fail(vm, "jump op 0x%x not emitted", BPF_OP(in->code));
	}
	return 0;
}

int nt_interp_run(const struct bpf_insn *insns, size_t n, const uint64_t args[5],
		  const struct nt_interp_mem *mem, uint64_t *r0, char *err, size_t errlen)
{
	static struct vm vm; /* 1 KiB of stack state: keep it off the C stack */
	size_t steps = 0;

	memset(&vm, 0, sizeof(vm));
	vm.mem = mem;
	vm.err = err;
	vm.errlen = errlen;
	for (int i = 0; i < 5; i++)
		vm.r[i + 1] = args[i];
	vm.r[10] = NT_INTERP_STACK_TOP;
	for (vm.pc = 0;; vm.pc++) {
		const struct bpf_insn *in;
		uint64_t v = 0;
		int taken = 0;

		if (vm.pc >= n)
			return fail(&vm, "fell off the end of the program (%zu instructions)", n);
		if (++steps > MAX_STEPS)
			return fail(&vm, "more than %d steps", MAX_STEPS);
		in = &insns[vm.pc];
		if (in->dst_reg > 10 || in->src_reg > 10)
			return fail(&vm, "bad register");
		switch (BPF_CLASS(in->code)) {
		case BPF_ALU:
		case BPF_ALU64:
			if (in->dst_reg == 10)
				return fail(&vm, "write to r10");
			if (alu(&vm, in))
				return -1;
			break;
		case BPF_LD:
			if (in->code != (BPF_LD | BPF_DW | BPF_IMM) || in->src_reg || vm.pc + 1 >= n)
				return fail(&vm, "LD 0x%02x not emitted", in->code);
			vm.r[in->dst_reg] = (uint32_t)in->imm | (uint64_t)(uint32_t)insns[vm.pc + 1].imm << 32;
			vm.pc++;
			break;
		case BPF_LDX: {
			static const int sz[4] = { 4, 2, 1, 8 };

			if (BPF_MODE(in->code) != BPF_MEM)
				return fail(&vm, "LDX mode not emitted");
			if (mem_access(&vm, vm.r[in->src_reg] + in->off, sz[BPF_SIZE(in->code) >> 3], 0, &v))
				return -1;
			vm.r[in->dst_reg] = v;
			break;
		}
		case BPF_ST:
		case BPF_STX: {
			static const int sz[4] = { 4, 2, 1, 8 };

			if (BPF_MODE(in->code) != BPF_MEM)
				return fail(&vm, "ST mode not emitted");
			v = BPF_CLASS(in->code) == BPF_STX ? vm.r[in->src_reg] : (uint64_t)(int64_t)in->imm;
			if (mem_access(&vm, vm.r[in->dst_reg] + in->off, sz[BPF_SIZE(in->code) >> 3], 1, &v))
				return -1;
			break;
		}
		case BPF_JMP:
		case BPF_JMP32:
			if (in->code == (BPF_JMP | BPF_EXIT)) {
				*r0 = vm.r[0];
				return 0;
			}
			if (in->code == (BPF_JMP | BPF_CALL)) {
				int bad;

				if (in->src_reg || (in->imm != 113 && in->imm != 4))
					return fail(&vm, "call %d not emitted", in->imm);
				vm.r[0] = (uint64_t)probe_read(&vm, vm.r[1], vm.r[2], vm.r[3], &bad);
				if (bad)
					return -1;
				/* the verifier forgets r1..r5 after a call: poison them */
				for (int i = 1; i <= 5; i++)
					vm.r[i] = 0xdeadbeefdeadbeefULL;
				break;
			}
			if (in->code == (BPF_JMP | BPF_JA)) {
				taken = 1;
			} else if (cond(&vm, in, &taken)) {
				return -1;
			}
			if (taken) {
				long t = (long)vm.pc + 1 + in->off;

				if (t < 0 || (size_t)t > n)
					return fail(&vm, "jump out of the program");
				vm.pc = (size_t)t - 1;
			}
			break;
		default:
			return fail(&vm, "class 0x%x not emitted", BPF_CLASS(in->code));
		}
	}
}
