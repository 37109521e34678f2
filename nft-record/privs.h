/* SPDX-License-Identifier: GPL-2.0 */
/* privs.h - capability drop after attach (see privs.c). */
#ifndef NT_PRIVS_H
#define NT_PRIVS_H

/* Keep only the capabilities a running recording still needs; 0 or -errno. */
int nt_privs_drop_after_attach(void);

#endif
