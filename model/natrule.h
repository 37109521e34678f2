/* SPDX-License-Identifier: GPL-2.0 */
/* natrule.h - whether an nftables rule's text holds a NAT statement (the
 * journeys' "after <chain> #N" cause of an address translation). */
#ifndef NT_NATRULE_H
#define NT_NATRULE_H

/* 1 when rule text T (NULL: none) names masquerade, snat, dnat or redirect;
 * a long text (a hostile log's megabytes) is searched at its start and its
 * end only, where nft puts the statements.  Short texts seen last are
 * remembered by content (a journey tests every rule step of every packet). */
int nt_rule_text_nat(const char *t);

#endif
