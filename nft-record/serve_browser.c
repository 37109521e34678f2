// SPDX-License-Identifier: GPL-2.0
/*
 * serve_browser.c - nft-record --serve: the checks a server that a browser can
 * reach needs (see serve_int.h), before any endpoint runs:
 *
 *  - Host must name the bound address (any address literal when bound to
 *    0.0.0.0 / ::) or localhost, with the bound port if a port is given: a
 *    page whose DNS name was re-pointed at this address (DNS rebinding) gets
 *    421, a missing or malformed Host 400.  Checked before the token.
 *  - /api/ requests that carry an Origin must come from the page itself
 *    (Origin = "http://" + Host); Sec-Fetch-Site, when sent, must be
 *    same-origin or none (typed URL, curl).  Else 403.
 *  - POST (every state-changing request) needs Content-Type:
 *    application/json: a browser can send that cross-origin only after a
 *    CORS preflight, which this server never grants.  Else 415.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nft-record/serve_int.h"

/* "HOST[:PORT]" / "[V6][:PORT]": the host part into H (brackets removed), the
 * port or -1.  0, or -1 when malformed. */
static int split_host(const char *v, char *h, size_t hlen, long *port)
{
	const char *end, *colon;
	size_t n;

	*port = -1;
	if (v[0] == '[') {
		end = strchr(v, ']');
		if (!end)
			return -1;
		n = end - v - 1;
		if (n >= hlen)
			return -1;
		memcpy(h, v + 1, n);
		h[n] = 0;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return -1;
	} else {
		colon = strchr(v, ':');
		n = colon ? (size_t)(colon - v) : strlen(v);
		if (!n || n >= hlen)
			return -1;
		memcpy(h, v, n);
		h[n] = 0;
	}
	if (colon) {
		char *e;

		if (!colon[1] || strlen(colon + 1) > 5)
			return -1;
		*port = strtol(colon + 1, &e, 10);
		if (*e || *port < 1 || *port > 65535)
			return -1;
	}
	for (const char *p = h; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 127)
			return -1;
	return 0;
}

unsigned int sv_check_host(const struct srv *s, struct MHD_Connection *c, char *err, size_t errlen)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	const struct sockaddr_in *b4 = (const void *)&s->bound;
	const struct sockaddr_in6 *b6 = (const void *)&s->bound;
	int v6 = s->bound.ss_family == AF_INET6;
	unsigned int bport = ntohs(v6 ? b6->sin6_port : b4->sin_port);
	char h[128];
	long port;
	unsigned char a[16];

	if (!v || !*v || strlen(v) >= sizeof(h) || split_host(v, h, sizeof(h), &port)) {
		snprintf(err, errlen, "Host header %s: send Host: localhost:%u or the server's address",
			 v ? "malformed" : "missing", bport);
		return MHD_HTTP_BAD_REQUEST;
	}
	if (port >= 0 && port != (long)bport)
		goto foreign;
	if (!strcasecmp(h, "localhost"))
		return 0;
	if (!v6 && inet_pton(AF_INET, h, a) == 1) {
		if (b4->sin_addr.s_addr == INADDR_ANY || !memcmp(a, &b4->sin_addr, 4))
			return 0;
	} else if (v6 && v[0] == '[' && inet_pton(AF_INET6, h, a) == 1) {
		if (IN6_IS_ADDR_UNSPECIFIED(&b6->sin6_addr) || !memcmp(a, &b6->sin6_addr, 16))
			return 0;
	}
foreign:
	snprintf(err, errlen, "Host '%.100s' is not this server (localhost or the bound address, port %u): refused (DNS rebinding)",
		 v, bport);
	return MHD_HTTP_MISDIRECTED_REQUEST;
}

unsigned int sv_check_browser(struct MHD_Connection *c, const char *method, char *err,
			      size_t errlen)
{
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");

	if (origin && (strncasecmp(origin, "http://", 7) || !host || strcasecmp(origin + 7, host))) {
		snprintf(err, errlen, "Origin '%.100s' is not this server's page (http://%.100s): cross-origin requests are refused",
			 origin, host ? host : "?");
		return MHD_HTTP_FORBIDDEN;
	}
	if (site && strcmp(site, "same-origin") && strcmp(site, "none")) {
		snprintf(err, errlen, "Sec-Fetch-Site '%.40s': only this server's own page may call the API", site);
		return MHD_HTTP_FORBIDDEN;
	}
	if (!strcmp(method, "POST")) {
		size_t n = ct ? strcspn(ct, "; \t") : 0;

		if (!ct || n != 16 || strncasecmp(ct, "application/json", 16)) {
			snprintf(err, errlen, "Content-Type '%.60s': state-changing requests need Content-Type: application/json",
				 ct ? ct : "(none)");
			return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
		}
	}
	return 0;
}
