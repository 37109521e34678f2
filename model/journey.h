/* SPDX-License-Identifier: GPL-2.0 */
/* journey.h - one packet's journey: the prototype's PACKET TRACE block, and
 * its JSON object.  Needs the packet's records (model opts keep_events). */
#ifndef NT_JOURNEY_H
#define NT_JOURNEY_H

#include <stdio.h>
#include "model/model.h"
#include "model/output.h"

void nt_journey_print_text(FILE *out, const struct nt_model *m, const struct nt_packet *p);
/* The same into B (not flushed: many packets share one large builder). */
void nt_journey_text(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p);
/* One JSON object (opened and closed here); _key: as member KEY of an object. */
void nt_journey_json(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p);
void nt_journey_json_key(struct nt_jw *w, const char *key, const struct nt_model *m,
			 const struct nt_packet *p);

#endif
