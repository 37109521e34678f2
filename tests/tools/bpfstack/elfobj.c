// SPDX-License-Identifier: GPL-2.0
/*
 * elfobj.c - a BPF object file's functions and their call graph (libelf):
 * programs are the functions of executable sections other than .text,
 * subprograms those of .text (libbpf's layout).  A call is resolved as
 * libbpf does: relocated against a symbol S, it lands on instruction
 * S.value / 8 + imm + 1 of S's section; unrelocated, imm + 1 after itself.
 * A callback's address (ld_imm64 relocated against an executable section)
 * lands on (S.value + imm) / 8.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tools/bpfstack/bpfstack.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

struct sec {
	const struct bpf_insn *insn; /* executable sections only */
	size_t n;
	int exec;
	GElf_Rel *rel;               /* its relocations */
	size_t nrel;
};

struct fn {
	int sec;
	size_t off;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const GElf_Rel *rel_at(const struct sec *s, size_t byte_off)
{
	for (size_t i = 0; i < s->nrel; i++)
		if (s->rel[i].r_offset == byte_off)
			return &s->rel[i];
	return NULL;
}

static int fn_at(const struct fn *fns, int n, int sec, size_t off)
{
	for (int i = 0; i < n; i++)
		if (fns[i].sec == sec && fns[i].off == off)
			return i;
	return -1;
}

static int add_callee(struct nt_bs_func *f, int callee)
{
	int *c;

	for (int i = 0; i < f->ncallee; i++)
		if (f->callee[i] == callee)
			return 0;
	c = realloc(f->callee, (f->ncallee + 1) * sizeof(*c));
	if (!c)
		return -1;
	c[f->ncallee++] = callee;
	f->callee = c;
	return 0;
}

/* every call and callback address of function i */
static int link_calls(struct nt_bs_obj *o, const struct fn *fns, const struct sec *secs, Elf_Data *symd,
		      int i, char *err, size_t errlen)
{
	const struct sec *s = &secs[fns[i].sec];
	const struct bpf_insn *insn = s->insn + fns[i].off;

	for (size_t j = 0; j < o->f[i].n; j++) {
		int kind = nt_bs_insn_kind(&insn[j]), tsec = fns[i].sec, callee;
		size_t at = fns[i].off + j;
		const GElf_Rel *r;
		GElf_Sym sym;
		long long t;

		if (!kind)
			continue;
		r = rel_at(s, at * sizeof(struct bpf_insn));
		if (r && !gelf_getsym(symd, GELF_R_SYM(r->r_info), &sym))
			return fail(err, errlen, "%s: bad relocation symbol", o->f[i].name);
		if (kind == 2) {
			j++;
			if (!r || sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE ||
			    !secs[sym.st_shndx].exec)
				continue; /* a map, a global, a constant: not code */
			tsec = sym.st_shndx;
			t = ((long long)sym.st_value + insn[j - 1].imm) / (long long)sizeof(struct bpf_insn);
		} else if (r) {
			if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
				return fail(err, errlen, "%s: call to an undefined function", o->f[i].name);
			tsec = sym.st_shndx;
			t = (long long)sym.st_value / (long long)sizeof(struct bpf_insn) + insn[j].imm + 1;
		} else {
			t = (long long)at + insn[j].imm + 1;
		}
		callee = t < 0 ? -1 : fn_at(fns, o->n, tsec, (size_t)t);
		if (callee < 0)
			return fail(err, errlen, "%s: instruction %zu calls no function's first instruction",
				    o->f[i].name, j);
		if (add_callee(&o->f[i], callee))
			return fail(err, errlen, "out of memory");
	}
	return 0;
}

static int load(Elf *e, struct nt_bs_obj *o, char *err, size_t errlen)
{
	size_t nsec, shstrndx;
	struct sec *secs = NULL;
	struct fn *fns = NULL;
	Elf_Data *symd = NULL;
	size_t nsym = 0, strndx = 0;
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	int ret = -1;

	if (!gelf_getehdr(e, &eh) || eh.e_machine != EM_BPF || eh.e_type != ET_REL)
		return fail(err, errlen, "not a BPF object file (ELF relocatable, machine BPF)");
	if (elf_getshdrnum(e, &nsec) || elf_getshdrstrndx(e, &shstrndx))
		return fail(err, errlen, "no section table");
	secs = calloc(nsec, sizeof(*secs));
	if (!secs)
		return fail(err, errlen, "out of memory");
	while ((scn = elf_nextscn(e, scn))) {
		size_t idx = elf_ndxscn(scn);
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || !(d = elf_getdata(scn, NULL)))
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			symd = d;
			nsym = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
			strndx = sh.sh_link;
		} else if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR)) {
			secs[idx].exec = 1;
			secs[idx].insn = d->d_buf;
			secs[idx].n = d->d_size / sizeof(struct bpf_insn);
		}
	}
	scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL || sh.sh_info >= nsec ||
		    !secs[sh.sh_info].exec || !(d = elf_getdata(scn, NULL)) || !sh.sh_entsize)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		secs[sh.sh_info].rel = calloc(n ? n : 1, sizeof(GElf_Rel));
		if (!secs[sh.sh_info].rel) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			gelf_getrel(d, (int)i, &secs[sh.sh_info].rel[secs[sh.sh_info].nrel++]);
	}
	if (!symd) {
		fail(err, errlen, "no symbol table");
		goto out;
	}
	o->f = calloc(nsym ? nsym : 1, sizeof(*o->f));
	fns = calloc(nsym ? nsym : 1, sizeof(*fns));
	if (!o->f || !fns) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nsym; i++) {
		GElf_Sym sym;
		struct nt_bs_func *f = &o->f[o->n];
		const char *name, *sname;
		GElf_Shdr sh;
		struct nt_bs_scan sc;

		if (!gelf_getsym(symd, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= nsec || !secs[sym.st_shndx].exec)
			continue;
		name = elf_strptr(e, strndx, sym.st_name);
		if (!gelf_getshdr(elf_getscn(e, sym.st_shndx), &sh) ||
		    !(sname = elf_strptr(e, shstrndx, sh.sh_name)) || !name) {
			fail(err, errlen, "a function without a name or section");
			goto out;
		}
		if (sym.st_value % sizeof(struct bpf_insn) || sym.st_size % sizeof(struct bpf_insn) ||
		    (sym.st_value + sym.st_size) / sizeof(struct bpf_insn) > secs[sym.st_shndx].n) {
			fail(err, errlen, "%s: outside its section %s", name, sname);
			goto out;
		}
		snprintf(f->name, sizeof(f->name), "%s", name);
		snprintf(f->sec, sizeof(f->sec), "%s", sname);
		f->is_prog = strcmp(sname, ".text") != 0;
		f->n = sym.st_size / sizeof(struct bpf_insn);
		fns[o->n].sec = sym.st_shndx;
		fns[o->n].off = sym.st_value / sizeof(struct bpf_insn);
		nt_bs_scan_insns(secs[sym.st_shndx].insn + fns[o->n].off, f->n, &sc);
		f->depth = sc.depth;
		f->depth_filter = sc.depth_filter;
		o->n++;
	}
	for (int i = 0; i < o->n; i++)
		if (link_calls(o, fns, secs, symd, i, err, errlen))
			goto out;
	ret = 0;
out:
	for (size_t i = 0; i < nsec; i++)
		free(secs[i].rel);
	free(secs);
	free(fns);
	return ret;
}

int nt_bs_open_mem(const void *buf, size_t size, struct nt_bs_obj *o, char *err, size_t errlen)
{
	Elf *e;
	int ret;

	memset(o, 0, sizeof(*o));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(err, errlen, "libelf: %s", elf_errmsg(-1));
	e = elf_memory((char *)buf, size);
	if (!e)
		return fail(err, errlen, "%s", elf_errmsg(-1));
	ret = load(e, o, err, errlen);
	elf_end(e);
	if (ret)
		nt_bs_free(o);
	return ret;
}

int nt_bs_open(const char *path, struct nt_bs_obj *o, char *err, size_t errlen)
{
	int fd, ret;
	Elf *e;

	memset(o, 0, sizeof(*o));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(err, errlen, "libelf: %s", elf_errmsg(-1));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "cannot open %s: %m", path);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e) {
		close(fd);
		return fail(err, errlen, "%s: %s", path, elf_errmsg(-1));
	}
	ret = load(e, o, err, errlen);
	elf_end(e);
	close(fd);
	if (ret)
		nt_bs_free(o);
	return ret;
}

void nt_bs_free(struct nt_bs_obj *o)
{
	for (int i = 0; i < o->n; i++)
		free(o->f[i].callee);
	free(o->f);
	memset(o, 0, sizeof(*o));
}

int nt_bs_find(const struct nt_bs_obj *o, const char *name)
{
	for (int i = 0; i < o->n; i++)
		if (!strcmp(o->f[i].name, name))
			return i;
	return -1;
}
