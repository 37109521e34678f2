// SPDX-License-Identifier: GPL-2.0
/* pcapfilt/extras.c - split --filter into pcap-filter text and our extras. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfilt/extras.h"

#define MAX_TERMS 256
#define MAX_WORDS 8

struct term {
	size_t a, b;        /* [a, b) of the expression, trimmed */
	int op_after;       /* operator that follows: 0 none, 'a' and, 'o' or */
	size_t opa, opb;    /* its text */
};

/* Copy S[a, b) for a message: printable ASCII only, bounded. */
static void span(const char *s, size_t a, size_t b, char *out, size_t n)
{
	size_t k = 0;

	for (size_t i = a; i < b && k + 4 < n; i++)
		out[k++] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	if (a + (n - 4) < b && k + 4 <= n)
		out[k++] = '.', out[k++] = '.', out[k++] = '.';
	out[k] = 0;
}

static int is_word_char(char c)
{
	return c && !isspace((unsigned char)c) && !strchr("()!&|", c);
}

/* Is there a logical operator at S + I (outside parentheses / brackets)?
 * Returns its length, sets *kind to 'a' / 'o'. */
static size_t logical_op(const char *s, size_t i, int *kind)
{
	if (!strncmp(s + i, "&&", 2) || !strncmp(s + i, "||", 2)) {
		*kind = s[i] == '&' ? 'a' : 'o';
		return 2;
	}
	if ((i == 0 || !is_word_char(s[i - 1])) &&
	    ((!strncmp(s + i, "and", 3) && !is_word_char(s[i + 3])) ||
	     (!strncmp(s + i, "or", 2) && !is_word_char(s[i + 2])))) {
		*kind = s[i] == 'a' ? 'a' : 'o';
		return *kind == 'a' ? 3 : 2;
	}
	return 0;
}

/* Words of S[a, b): split on spaces, parentheses and '!'. */
static int words(const char *s, size_t a, size_t b, size_t wa[MAX_WORDS], size_t wb[MAX_WORDS])
{
	int n = 0;

	for (size_t i = a; i < b;) {
		if (!is_word_char(s[i]) && s[i] != '&' && s[i] != '|') {
			i++;
			continue;
		}
		size_t j = i;

		while (j < b && (is_word_char(s[j]) || s[j] == '&' || s[j] == '|'))
			j++;
		if (n < MAX_WORDS) {
			wa[n] = i;
			wb[n] = j;
		}
		n++;
		i = j;
	}
	return n;
}

static int word_is(const char *s, size_t a, size_t b, const char *w)
{
	return b - a == strlen(w) && !strncmp(s + a, w, b - a);
}

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (*end || errno || x > 0xffffffffULL)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* The old private forms, anywhere in the expression. */
static int old_forms(const char *s, char *err, size_t errlen)
{
	static const char *kw_proto[] = { "tcp", "udp", "icmp", "icmp6", "sctp", "igmp", "igrp", "pim",
					  "vrrp", "carp", "ah", "esp", "ip", "ip6", NULL };
	size_t wa[64], wb[64];
	int n = 0;
	char w1[64], w2[64];

	for (size_t i = 0; s[i] && n < 64;) {
		if (!is_word_char(s[i])) {
			i++;
			continue;
		}
		wa[n] = i;
		while (is_word_char(s[i]))
			i++;
		wb[n++] = i;
	}
	for (int k = 0; k < n; k++) {
		int has_next = k + 1 < n;

		span(s, wa[k], wb[k], w1, sizeof(w1));
		if (has_next)
			span(s, wa[k + 1], wb[k + 1], w2, sizeof(w2));
		if ((word_is(s, wa[k], wb[k], "sport") || word_is(s, wa[k], wb[k], "dport")) && has_next) {
			snprintf(err, errlen, "--filter: '%s %s' is not pcap-filter syntax: use '%s port %s'", w1,
				 w2, w1[0] == 's' ? "src" : "dst", w2);
			return -EINVAL;
		}
		if (word_is(s, wa[k], wb[k], "proto") && has_next) {
			for (int p = 0; kw_proto[p]; p++)
				if (word_is(s, wa[k + 1], wb[k + 1], kw_proto[p])) {
					snprintf(err, errlen,
						 "--filter: 'proto %s' is not pcap-filter syntax: use '%s' (or 'ip proto \\%s')",
						 w2, w2, w2);
					return -EINVAL;
				}
		}
		if ((word_is(s, wa[k], wb[k], "host") || word_is(s, wa[k], wb[k], "src") ||
		     word_is(s, wa[k], wb[k], "dst")) && has_next && memchr(s + wa[k + 1], '/', wb[k + 1] - wa[k + 1]) &&
		    !(k > 0 && word_is(s, wa[k - 1], wb[k - 1], "net"))) {
			snprintf(err, errlen, "--filter: '%s %s': an address with a prefix length is a network: use '%snet %s'",
				 w1, w2, w1[0] == 'h' ? "" : w1[0] == 's' ? "src " : "dst ", w2);
			return -EINVAL;
		}
		if (word_is(s, wa[k], wb[k], "dev") && has_next) {
			snprintf(err, errlen, "--filter: 'dev %s': use 'iface %s'", w2, w2);
			return -EINVAL;
		}
	}
	return 0;
}

static int set_extra(const char *s, const struct term *t, struct nt_pcapf_extras *x, char *err, size_t errlen)
{
	size_t wa[MAX_WORDS], wb[MAX_WORDS];
	int n = words(s, t->a, t->b, wa, wb);
	char kw[16], arg[128], all[160];

	span(s, t->a, t->b, all, sizeof(all));
	if (n != 2 || memchr(s + t->a, '(', t->b - t->a) || memchr(s + t->a, '!', t->b - t->a)) {
		snprintf(err, errlen, "--filter: '%s': expected '%s NAME' joined to the rest with 'and'", all,
			 n ? (span(s, wa[0], wb[0], kw, sizeof(kw)), kw) : "?");
		return -EINVAL;
	}
	span(s, wa[0], wb[0], kw, sizeof(kw));
	span(s, wa[1], wb[1], arg, sizeof(arg));
	if (!strcmp(kw, "netns")) {
		if (x->netns[0]) {
			snprintf(err, errlen, "--filter: 'netns' given twice");
			return -EINVAL;
		}
		if (wb[1] - wa[1] >= sizeof(x->netns) || strchr(arg, '/') || arg[0] == '.' || strchr(arg, '?')) {
			snprintf(err, errlen, "--filter: 'netns %s': not a network namespace name (see ip netns list)",
				 arg);
			return -EINVAL;
		}
		memcpy(x->netns, arg, strlen(arg) + 1);
		return 0;
	}
	if (!strcmp(kw, "iface")) {
		if (x->iface[0]) {
			snprintf(err, errlen, "--filter: 'iface' given twice");
			return -EINVAL;
		}
		if (wb[1] - wa[1] >= sizeof(x->iface) || strpbrk(arg, "\"\\/?") || !strcmp(arg, ".") ||
		    !strcmp(arg, "..")) {
			snprintf(err, errlen, "--filter: 'iface %s': not an interface name", arg);
			return -EINVAL;
		}
		memcpy(x->iface, arg, strlen(arg) + 1);
		return 0;
	}
	/* mark VALUE[/MASK] */
	{
		char *sl = strchr(arg, '/');
		uint32_t v, m = 0xffffffffu;

		if (x->has_mark) {
			snprintf(err, errlen, "--filter: 'mark' given twice");
			return -EINVAL;
		}
		if (sl)
			*sl++ = 0;
		if (parse_u32(arg, &v) || (sl && parse_u32(sl, &m))) {
			if (sl)
				sl[-1] = '/';
			snprintf(err, errlen, "--filter: 'mark %s': expected VALUE or VALUE/MASK (numbers)", arg);
			return -EINVAL;
		}
		x->has_mark = 1;
		x->mark_value = v & m;
		x->mark_mask = m;
	}
	return 0;
}

static int extra_kind(const char *s, size_t a, size_t b)
{
	size_t wa[MAX_WORDS], wb[MAX_WORDS];
	int n = words(s, a, b, wa, wb);

	for (int k = 0; k < n && k < MAX_WORDS; k++)
		if (word_is(s, wa[k], wb[k], "netns") || word_is(s, wa[k], wb[k], "iface") ||
		    word_is(s, wa[k], wb[k], "mark"))
			return k == 0 ? 1 : 2; /* 1: the term is an extra; 2: one inside a term */
	return 0;
}

/* An error message quotes the user's words: one printable line. */
static int oneline(char *err, size_t errlen, int ret)
{
	for (size_t i = 0; errlen && i < errlen && err[i]; i++)
		if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
			err[i] = '?';
	return ret;
}

int nt_pcapf_split(const char *expr, char *pcap, size_t pcaplen, struct nt_pcapf_extras *x, char *err,
		   size_t errlen)
{
	struct term *t;
	int nt = 0, depth = 0, bracket = 0, ret = -EINVAL;
	size_t start = 0, len, out = 0;
	char *keep = NULL;

	memset(x, 0, sizeof(*x));
	if (pcaplen)
		pcap[0] = 0;
	if (!expr)
		return 0;
	len = strlen(expr);
	ret = old_forms(expr, err, errlen);
	if (ret)
		return oneline(err, errlen, ret);
	ret = -EINVAL;
	t = calloc(MAX_TERMS, sizeof(*t));
	keep = calloc(MAX_TERMS, 1);
	if (!t || !keep) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	/* top-level terms and the logical operators between them */
	for (size_t i = 0; i <= len; i++) {
		size_t ol = 0;
		int kind = 0;

		if (i < len) {
			char c = expr[i];

			if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			else if (c == '[')
				bracket++;
			else if (c == ']')
				bracket--;
			if (depth || bracket || c == '(' || c == ')' || c == '[' || c == ']')
				continue;
			ol = logical_op(expr, i, &kind);
			if (!ol)
				continue;
		}
		if (nt == MAX_TERMS) {
			snprintf(err, errlen, "--filter: more than %d terms joined by and / or", MAX_TERMS);
			ret = -E2BIG;
			goto out;
		}
		{
			size_t a = start, b = i;

			while (a < b && isspace((unsigned char)expr[a]))
				a++;
			while (b > a && isspace((unsigned char)expr[b - 1]))
				b--;
			t[nt].a = a;
			t[nt].b = b;
			t[nt].op_after = kind;
			t[nt].opa = i;
			t[nt].opb = i + ol;
			nt++;
		}
		start = i + ol;
		if (ol)
			i += ol - 1;
	}
	if (nt == 1 && t[0].a == t[0].b) { /* empty expression */
		ret = 0;
		goto out;
	}
	/* extras: top-level conjuncts; everything else stays pcap text */
	for (int i = 0; i < nt; i++) {
		int k = extra_kind(expr, t[i].a, t[i].b);
		char all[160];

		keep[i] = 1;
		if (!k)
			continue;
		span(expr, t[i].a, t[i].b, all, sizeof(all));
		if (k == 2 || memchr(expr + t[i].a, '(', t[i].b - t[i].a)) {
			snprintf(err, errlen,
				 "--filter: '%s': netns / iface / mark must be terms of their own, joined to the "
				 "rest with 'and' outside parentheses (e.g. 'tcp port 80 and netns web')",
				 all);
			goto out;
		}
		/* a top-level conjunct: 'and' before it and after it, all the way */
		{
			int ok = i == 0 || t[i - 1].op_after == 'a';

			for (int j = i; j < nt - 1; j++)
				ok &= t[j].op_after == 'a';
			if (!ok) {
				snprintf(err, errlen,
					 "--filter: '%s' is not joined with 'and' to the whole expression (pcap's "
					 "'and' and 'or' group from the left): put it last, e.g. '(...) and %s'",
					 all, all);
				goto out;
			}
		}
		ret = set_extra(expr, &t[i], x, err, errlen);
		if (ret)
			goto out;
		ret = -EINVAL;
		keep[i] = 0;
	}
	/* the pcap text: kept terms, each followed by the operator after it
	 * (the operators around a removed extra are all 'and') */
	for (int i = 0, first = 1; i < nt; i++) {
		size_t n;
		int next = -1;

		if (!keep[i])
			continue;
		for (int j = i + 1; j < nt; j++)
			if (keep[j]) {
				next = j;
				break;
			}
		n = t[i].b - t[i].a;
		if (out + n + 8 >= pcaplen) {
			snprintf(err, errlen, "--filter: expression too long");
			ret = -E2BIG;
			goto out;
		}
		if (!first)
			pcap[out++] = ' ';
		memcpy(pcap + out, expr + t[i].a, n);
		out += n;
		if (next >= 0) {
			/* the operator between i and next: the one after i, unless
			 * it was the 'and' of a removed extra (then also 'and') */
			const char *op = t[i].op_after == 'o' ? "or" : "and";

			if (next == i + 1) {
				size_t ol = t[i].opb - t[i].opa;

				memcpy(pcap + out, " ", 1);
				memcpy(pcap + out + 1, expr + t[i].opa, ol);
				out += 1 + ol;
			} else {
				out += (size_t)snprintf(pcap + out, pcaplen - out, " %s", op);
			}
		}
		first = 0;
		pcap[out] = 0;
	}
	while (out && pcap[out - 1] == ' ') /* an empty last term: "tcp or" */
		pcap[--out] = 0;
	ret = 0;
out:
	free(t);
	free(keep);
	return ret ? oneline(err, errlen, ret) : 0;
}
