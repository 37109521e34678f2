// SPDX-License-Identifier: GPL-2.0
/*
 * ntl_edit.c - test tool: print a log's metadata blocks, or rewrite a log with
 * another host or clock (issue #20 tests: hosts whose clocks differ).
 *
 *   ntl_edit LOG                         one line per metadata block: "TYPE JSON"
 *   ntl_edit LOG -o OUT [edits...]       the same log with:
 *     --shift-realtime NS   wall clock moved by NS (signed): HEADER
 *                           clock_ref.realtime_ns and boot_time_ns, CLOCK blocks
 *     --shift-mono NS       monotonic clock moved by NS: every record's ts_ns
 *                           (but 0), HEADER start_mono_ns and clock_ref.mono_ns,
 *                           CLOCK mono_ns, TRAILER end_mono_ns (the wall time
 *                           of every record is unchanged)
 *     --step-each NS        CLOCK block number k (1, 2, ...) moved by k * NS
 *                           on the wall clock (HEADER untouched): as if the
 *                           clock had stepped by NS before each CLOCK block
 *     --label NAME          HEADER host.label
 *     --boot-id ID          HEADER host.boot_id
 *     --coding 1|2|3        EVENTS coding (formats/FORMAT.md; 1: format 2.0's,
 *                           2: format 2.1's (bench/density.sh's "before"), 3:
 *                           format 2.2's, the default), --block-bytes N
 *     --strip-host          no HEADER host / clock_ref, no CLOCK blocks (a log
 *                           of an older nft-record)
 * Records are re-encoded by the writer (formats/logw.c): same records, same
 * order; block boundaries may differ.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "common/records.h"
#include "formats/logr.h"
#include "formats/logw.h"
#include "formats/ntlog.h"

static int64_t shift_real, shift_mono, step_each;
static int nclock;  /* CLOCK blocks seen */
static const char *label, *boot_id;
static int strip;

static int64_t num(const cJSON *o)
{
	if (cJSON_IsString(o))
		return strtoll(o->valuestring, NULL, 10);
	if (cJSON_IsNumber(o))
		return (int64_t)o->valuedouble;
	return 0;
}

/* member KEY of O (a decimal string or number) moved by D, kept as it was typed */
static void shift_field(cJSON *o, const char *key, int64_t d)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char buf[32];

	if (!v || !d)
		return;
	if (cJSON_IsString(v)) {
		snprintf(buf, sizeof(buf), "%" PRIu64, (uint64_t)(num(v) + d));
		cJSON_ReplaceItemInObjectCaseSensitive(o, key, cJSON_CreateString(buf));
	} else if (cJSON_IsNumber(v)) {
		cJSON_ReplaceItemInObjectCaseSensitive(o, key, cJSON_CreateNumber(v->valuedouble + (double)d));
	}
}

static char *edit_meta(uint16_t type, const char *json, size_t len, int *drop)
{
	cJSON *root = cJSON_ParseWithLength(json, len), *ho, *cr;
	char *s;

	*drop = 0;
	if (!root)
		return NULL;
	if (type == NTL_B_HEADER) {
		ho = cJSON_GetObjectItemCaseSensitive(root, "host");
		cr = cJSON_GetObjectItemCaseSensitive(root, "clock_ref");
		if (strip) {
			cJSON_DeleteItemFromObjectCaseSensitive(root, "host");
			cJSON_DeleteItemFromObjectCaseSensitive(root, "clock_ref");
		} else {
			if (ho && label)
				cJSON_ReplaceItemInObjectCaseSensitive(ho, "label", cJSON_CreateString(label));
			if (ho && boot_id)
				cJSON_ReplaceItemInObjectCaseSensitive(ho, "boot_id", cJSON_CreateString(boot_id));
			shift_field(cr, "realtime_ns", shift_real);
			shift_field(cr, "mono_ns", shift_mono);
		}
		shift_field(root, "boot_time_ns", shift_real - shift_mono);
		shift_field(root, "start_mono_ns", shift_mono);
	} else if (type == NTL_B_CLOCK) {
		if (strip)
			*drop = 1;
		nclock++;
		shift_field(root, "realtime_ns", shift_real + (int64_t)nclock * step_each);
		shift_field(root, "mono_ns", shift_mono);
	} else if (type == NTL_B_TRAILER) {
		shift_field(root, "end_mono_ns", shift_mono);
	} else if (type == NTL_B_RULESET || type == NTL_B_IFACES) {
		shift_field(root, "mono_ns", shift_mono);
	}
	s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

static int usage(void)
{
	fprintf(stderr, "usage: ntl_edit LOG [-o OUT [--shift-realtime NS] [--shift-mono NS] [--step-each NS] "
			"[--label NAME] [--boot-id ID] [--strip-host] [--coding 1|2|3] [--block-bytes N]]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *msg = NULL;
	struct ntl_reader *rd;
	struct ntl_writer *w = NULL;
	struct ntl_writer_opts wo = { .sz = sizeof(wo) };
	struct ntl_item it;
	char *trailer = NULL;
	int st;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--shift-realtime") && i + 1 < argc)
			shift_real = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--shift-mono") && i + 1 < argc)
			shift_mono = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--step-each") && i + 1 < argc)
			step_each = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--label") && i + 1 < argc)
			label = argv[++i];
		else if (!strcmp(argv[i], "--boot-id") && i + 1 < argc)
			boot_id = argv[++i];
		else if (!strcmp(argv[i], "--strip-host"))
			strip = 1;
		else if (!strcmp(argv[i], "--coding") && i + 1 < argc)
			wo.coding = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--block-bytes") && i + 1 < argc)
			wo.block_bytes = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && !in)
			in = argv[i];
		else
			return usage();
	}
	if (!in)
		return usage();
	if (ntl_reader_open(&rd, in, &msg)) {
		fprintf(stderr, "ntl_edit: %s\n", msg ? msg : in);
		return 2;
	}
	if (out && ntl_writer_open(&w, out, &wo)) {
		fprintf(stderr, "ntl_edit: %s: %s\n", out, ntl_writer_open_error());
		return 1;
	}
	while ((st = ntl_reader_next(rd, &it)) == NTL_OK) {
		if (it.kind == NTL_ITEM_META) {
			int drop;
			char *s;

			if (!w) {
				printf("%u %.*s\n", it.type, (int)it.len, (const char *)it.data);
				continue;
			}
			s = edit_meta(it.type, it.data, it.len, &drop);
			if (drop) {
				free(s);
				continue;
			}
			if (it.type == NTL_B_TRAILER) {
				free(trailer);
				trailer = s;
				continue;
			}
			if (s ? ntl_writer_meta(w, it.type, s, strlen(s)) :
				ntl_writer_meta(w, it.type, it.data, it.len)) {
				fprintf(stderr, "ntl_edit: %s: %s\n", out, ntl_writer_strerror(w));
				return 1;
			}
			free(s);
		} else if (w) {
			struct nt_ev_hdr *h = (void *)it.data; /* the reader's own buffer */

			if (it.len >= sizeof(*h) && h->ts_ns)
				h->ts_ns += (uint64_t)shift_mono;
			if (ntl_writer_event(w, it.data, it.len)) {
				fprintf(stderr, "ntl_edit: %s: %s\n", out, ntl_writer_strerror(w));
				return 1;
			}
		}
	}
	if (st < 0)
		fprintf(stderr, "ntl_edit: %s\n", ntl_reader_strerror(rd));
	ntl_reader_close(rd);
	if (w && ntl_writer_close(w, trailer)) {
		fprintf(stderr, "ntl_edit: %s: %s\n", out, ntl_writer_strerror(NULL));
		return 1;
	}
	free(trailer);
	return st < 0 ? 3 : 0;
}
