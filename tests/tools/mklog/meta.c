/* meta.c - mklog: the metadata blocks (HEADER, FUNCS, RULESET, IFACES,
 * DROP_REASONS, KSYMS, STACKS) of a scenario's declarations. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/logw.h"
#include "formats/stacks.h"
#include "tests/tools/mklog/mklog.h"

static char hdr_json[8192] = "", funcs_json[1 << 16] = "", ifaces_json[8192] = "",
	    reasons_json[8192] = "", netns_json[4096] = "", ksyms_json[1 << 16] = "";
static size_t hdr_len, funcs_len, ifaces_len, reasons_len, netns_len, ksyms_len;
static uint8_t stacks_blk[1 << 16];
static size_t stacks_len;

/* ruleset: tables / chains / rules kept in order of declaration (mklog.h) */
struct rchain chains[256];
int nchains;
static struct rrule rules[1024];
static int nrules;

static void json_str(char *buf, size_t cap, size_t *len, const char *s)
{
	append(buf, cap, len, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			append(buf, cap, len, "\\%c", *s);
		else
			append(buf, cap, len, "%c", *s);
	}
	append(buf, cap, len, "\"");
}

static char ruleset_json[1 << 18];
static size_t ruleset_len;

static void build_ruleset(void)
{
	char *b = ruleset_json;
	size_t cap = sizeof(ruleset_json), *len = &ruleset_len;
	int nt = 0;

	append(b, cap, len, "{\"tables\":[");
	/* tables in order of first chain */
	for (int i = 0; i < nchains; i++) {
		int dup = 0;

		for (int k = 0; k < i; k++)
			dup |= !strcmp(chains[k].fam, chains[i].fam) && !strcmp(chains[k].table, chains[i].table);
		if (dup)
			continue;
		append(b, cap, len, "%s{\"netns\":%u,\"family\":\"%s\",\"name\":\"%s\",\"handle\":%d,\"chains\":[",
		       nt ? "," : "", chains[i].netns, chains[i].fam, chains[i].table, nt + 1);
		nt++;
		int nc = 0;
		for (int j = 0; j < nchains; j++) {
			if (strcmp(chains[j].fam, chains[i].fam) || strcmp(chains[j].table, chains[i].table))
				continue;
			append(b, cap, len, "%s{\"name\":\"%s\",\"handle\":%d", nc++ ? "," : "", chains[j].chain, j + 1);
			if (strcmp(chains[j].hook, "-"))
				append(b, cap, len, ",\"type\":\"filter\",\"hook\":\"%s\",\"prio\":%d,\"policy\":\"%s\"",
				       chains[j].hook, chains[j].prio, chains[j].policy);
			append(b, cap, len, ",\"rules\":[");
			int nr = 0;
			for (int k = 0; k < nrules; k++) {
				if (strcmp(rules[k].fam, chains[j].fam) || strcmp(rules[k].table, chains[j].table) ||
				    strcmp(rules[k].chain, chains[j].chain))
					continue;
				append(b, cap, len, "%s{\"handle\":%" PRIu64 ",\"text\":", nr++ ? "," : "", rules[k].handle);
				json_str(b, cap, len, rules[k].text);
				append(b, cap, len, "}");
			}
			append(b, cap, len, "]}");
		}
		append(b, cap, len, "]}");
	}
	append(b, cap, len, "]}");
}

/* the metadata blocks of the declarations among LINES */
void meta_build(struct line *lines, int nlines)
{
	int nfuncs = 0, nif = 0, nreason = 0;

	append(hdr_json, sizeof(hdr_json), &hdr_len, "{\"tool\":\"mklog\",\"tool_version\":\"0.1.0\",\"format_version\":%d,"
	       "\"clock\":\"CLOCK_MONOTONIC\",\"byte_order\":\"little\",\"start_mono_ns\":%llu",
	       NT_FORMAT_VERSION, (unsigned long long)BASE_TS);
	append(funcs_json, sizeof(funcs_json), &funcs_len, "{\"functions\":[");
	append(ifaces_json, sizeof(ifaces_json), &ifaces_len, "{\"interfaces\":[");
	append(reasons_json, sizeof(reasons_json), &reasons_len, "{\"reasons\":[");
	for (int i = 0; i < nlines; i++) {
		struct line *l = &lines[i];
		const char *k = l->tok[0];

		if (!strcmp(k, "header") && l->ntok >= 3) {
			append(hdr_json, sizeof(hdr_json), &hdr_len, ",");
			json_str(hdr_json, sizeof(hdr_json), &hdr_len, l->tok[1]);
			append(hdr_json, sizeof(hdr_json), &hdr_len, ":");
			json_str(hdr_json, sizeof(hdr_json), &hdr_len, l->rest[2]);
		} else if (!strcmp(k, "rotation") && l->ntok == 3) {
			append(hdr_json, sizeof(hdr_json), &hdr_len, ",\"rotation\":{\"set\":");
			json_str(hdr_json, sizeof(hdr_json), &hdr_len, l->tok[1]);
			append(hdr_json, sizeof(hdr_json), &hdr_len, ",\"seq\":%llu}",
			       strtoull(l->tok[2], NULL, 10));
		} else if (!strcmp(k, "func") && l->ntok >= 4) {
			append(funcs_json, sizeof(funcs_json), &funcs_len,
			       "%s{\"id\":%s,\"name\":\"%s\",\"layer\":\"%s\",\"priority\":0,\"kind\":\"%s\",\"arg\":1,\"module\":\"\",\"addr\":\"0x0\"",
			       nfuncs++ ? "," : "", l->tok[1], l->tok[2], l->tok[3], l->ntok > 4 ? l->tok[4] : "skb");
			if (l->ntok > 5 && strcmp(l->tok[5], "-"))
				append(funcs_json, sizeof(funcs_json), &funcs_len, ",\"role\":\"%s\"", l->tok[5]);
			append(funcs_json, sizeof(funcs_json), &funcs_len, "}");
		} else if (!strcmp(k, "netns") && l->ntok >= 3) {
			append(netns_json, sizeof(netns_json), &netns_len, "%s{\"name\":\"%s\",\"inum\":%s}",
			       netns_len ? "," : "", l->tok[1], l->tok[2]);
		} else if (!strcmp(k, "ksym") && l->ntok >= 3) {
			append(ksyms_json, sizeof(ksyms_json), &ksyms_len, "%s{\"addr\":\"%s\",\"name\":\"%s\",\"module\":\"%s\"}",
			       ksyms_len ? "," : "", l->tok[1], l->tok[2], l->ntok > 3 ? l->tok[3] : "");
		} else if (!strcmp(k, "stack") && l->ntok >= 3) {
			uint64_t fr[NT_STACK_MAX_FRAMES];
			int nf = 0;

			if (!stacks_len)
				ntl_stacks_init(stacks_blk, sizeof(stacks_blk), &stacks_len);
			for (int j = 2; j < l->ntok && nf < NT_STACK_MAX_FRAMES; j++)
				fr[nf++] = strtoull(l->tok[j], NULL, 16);
			if (ntl_stacks_add(stacks_blk, sizeof(stacks_blk), &stacks_len,
					   (uint32_t)strtoul(l->tok[1], NULL, 0), fr, (unsigned)nf))
				die(l->lineno, "%s", "bad stack");
		} else if (!strcmp(k, "chain") && l->ntok >= 7) {
			struct rchain *c = &chains[nchains < 255 ? nchains++ : 255];

			snprintf(c->fam, sizeof(c->fam), "%s", l->tok[1]);
			snprintf(c->table, sizeof(c->table), "%s", l->tok[2]);
			snprintf(c->chain, sizeof(c->chain), "%s", l->tok[3]);
			snprintf(c->hook, sizeof(c->hook), "%s", l->tok[4]);
			c->prio = atoi(l->tok[5]);
			snprintf(c->policy, sizeof(c->policy), "%s", l->tok[6]);
			c->netns = l->ntok > 7 ? (uint32_t)strtoul(l->tok[7], NULL, 10) : 4026531840u;
		} else if (!strcmp(k, "rule") && l->ntok >= 6) {
			struct rrule *r = &rules[nrules < 1023 ? nrules++ : 1023];

			snprintf(r->fam, sizeof(r->fam), "%s", l->tok[1]);
			snprintf(r->table, sizeof(r->table), "%s", l->tok[2]);
			snprintf(r->chain, sizeof(r->chain), "%s", l->tok[3]);
			r->handle = strtoull(l->tok[4], NULL, 10);
			snprintf(r->text, sizeof(r->text), "%s", l->rest[5]);
		} else if (!strcmp(k, "iface") && l->ntok >= 4) {
			append(ifaces_json, sizeof(ifaces_json), &ifaces_len, "%s{\"netns\":%s,\"ifindex\":%s,\"name\":\"%s\"}",
			       nif++ ? "," : "", l->tok[1], l->tok[2], l->tok[3]);
		} else if (!strcmp(k, "reason") && l->ntok >= 3) {
			append(reasons_json, sizeof(reasons_json), &reasons_len, "%s{\"value\":%s,\"name\":\"%s\"}",
			       nreason++ ? "," : "", l->tok[1], l->tok[2]);
		}
	}
	if (netns_len)
		append(hdr_json, sizeof(hdr_json), &hdr_len, ",\"options\":{\"netns\":[%s]}", netns_json);
	append(hdr_json, sizeof(hdr_json), &hdr_len, "}");
	append(funcs_json, sizeof(funcs_json), &funcs_len, "]}");
	append(ifaces_json, sizeof(ifaces_json), &ifaces_len, "]}");
	append(reasons_json, sizeof(reasons_json), &reasons_len, "]}");
	build_ruleset();
}

/* writes the metadata blocks; 0, or 1 (mklog's exit code) after a message */
int meta_write(void)
{
	if (ntl_writer_meta(w, NTL_B_HEADER, hdr_json, hdr_len) ||
	    ntl_writer_meta(w, NTL_B_FUNCS, funcs_json, funcs_len) ||
	    ntl_writer_meta(w, NTL_B_RULESET, ruleset_json, ruleset_len) ||
	    ntl_writer_meta(w, NTL_B_IFACES, ifaces_json, ifaces_len) ||
	    ntl_writer_meta(w, NTL_B_DROP_REASONS, reasons_json, reasons_len)) {
		fprintf(stderr, "mklog: %s\n", ntl_writer_strerror(w));
		return 1;
	}
	if (ksyms_len) {
		char *kj = malloc(ksyms_len + 32);

		if (!kj)
			return 1;
		snprintf(kj, ksyms_len + 32, "{\"symbols\":[%s]}", ksyms_json);
		if (ntl_writer_meta(w, NTL_B_KSYMS, kj, strlen(kj))) {
			free(kj);
			fprintf(stderr, "mklog: %s\n", ntl_writer_strerror(w));
			return 1;
		}
		free(kj);
	}
	if (stacks_len && ntl_writer_meta(w, NTL_B_STACKS, (const char *)stacks_blk, stacks_len)) {
		fprintf(stderr, "mklog: %s\n", ntl_writer_strerror(w));
		return 1;
	}
	return 0;
}
