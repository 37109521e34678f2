/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcapng.h - a small pcapng writer (IETF draft-ietf-opsawg-pcapng): one
 * section header, interface descriptions, enhanced packet blocks with a
 * comment.  Host byte order (the section header's byte-order magic says which);
 * nanosecond timestamps (if_tsresol 9).  No allocation: every block is built
 * in the writer's buffer and written with one fwrite().
 */
#ifndef NT_PCAPNG_H
#define NT_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NT_PCAPNG_LINKTYPE_ETHERNET 1
#define NT_PCAPNG_LINKTYPE_RAW 101      /* raw IPv4 / IPv6 (version nibble) */
#define NT_PCAPNG_COMMENT_MAX 4000      /* longer comments are cut (on a UTF-8 boundary) */

struct nt_pcapng {
	FILE *f;
	uint32_t nif;                   /* interfaces described so far */
	uint64_t packets;
	uint8_t buf[NT_PCAPNG_COMMENT_MAX + 1024];
};

void nt_pcapng_init(struct nt_pcapng *w, FILE *f);
/* Section header block: shb_hardware, shb_os, shb_userappl (each may be NULL). */
void nt_pcapng_shb(struct nt_pcapng *w, const char *hardware, const char *os, const char *app);
/* Interface description block; returns the interface id (0, 1, ...). */
uint32_t nt_pcapng_idb(struct nt_pcapng *w, uint16_t linktype, uint32_t snaplen, const char *name,
		       const char *description);
/* Enhanced packet block: TS_NS nanoseconds since the epoch; CAPLEN <= 65535
 * bytes of DATA, ORIGLEN the packet's length; COMMENT (UTF-8, may be NULL). */
void nt_pcapng_epb(struct nt_pcapng *w, uint32_t ifid, uint64_t ts_ns, const uint8_t *data,
		   uint32_t caplen, uint32_t origlen, const char *comment);

/* Copy S into OUT (LEN bytes, NUL terminated) as valid UTF-8 with no control
 * characters: C0, DEL and C1 become '?', so do bytes of invalid sequences;
 * cut on a character boundary.  Returns the length written. */
size_t nt_pcapng_clean_utf8(char *out, size_t len, const char *s);

#endif
