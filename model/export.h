/* SPDX-License-Identifier: GPL-2.0 */
/*
 * export.h - packets as rows for ClickHouse (issue #20): the tables of
 * formats/clickhouse.sql (schema NT_EXPORT_SCHEMA, versioned with the log
 * format), one row per
 *   packets    completed packet (journey part of one host): key, verdict and
 *              deciding rule, drop, counts, time per layer (arrays)
 *   hops       function record of a packet (FUNC, DROP, FREE)
 *   nft_steps  nftables record of a packet (rule / policy / return, chain)
 *   drops      packet dropped by nftables (verdict DROP) or by the kernel
 * every row with host, boot_id, recording, packet, netns, the flow key and
 * the wall-clock time (ns, and its UTC day).  Formats: ClickHouse
 * JSONEachRow or TabSeparated (escaped as ClickHouse reads them).
 * Rows are handed to a sink one by one; no allocation per row once the
 * row buffer has grown.
 */
#ifndef NT_EXPORT_H
#define NT_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include "model/ident.h"
#include "model/model.h"

#define NT_EXPORT_SCHEMA "2.0"   /* formats/clickhouse.sql: nft.schema_version */

enum nt_xtable { NT_X_PACKETS, NT_X_HOPS, NT_X_NFT_STEPS, NT_X_DROPS, NT_X__N };
extern const char *const nt_xtable_names[NT_X__N];

enum nt_xformat { NT_XF_JSON, NT_XF_TSV };

/* Receives every row (one line, '\n' included); nonzero return: stop. */
typedef int (*nt_xrow_fn)(void *ctx, int table, const char *row, size_t len);

struct nt_export;

/* TABLES: bit mask (1 << NT_X_*). */
struct nt_export *nt_export_new(enum nt_xformat fmt, unsigned tables, nt_xrow_fn row, void *ctx);
void nt_export_free(struct nt_export *x);
/* The next source's identity: HOST (unique label), ID, RECORDING (its id). */
void nt_export_source(struct nt_export *x, const char *host, const struct nt_ident *id,
		      const char *recording);
/* Every metadata block of the source (HEADER, CLOCK: the wall clock). */
void nt_export_meta(struct nt_export *x, uint16_t type, const char *json, size_t len);
/* The rows of a completed packet (needs its records: keep_events).  0, or the
 * sink's nonzero return, or -ENOMEM. */
int nt_export_packet(struct nt_export *x, const struct nt_model *m, const struct nt_packet *p);
uint64_t nt_export_rows(const struct nt_export *x, int table);

#endif
