#ifndef TAGD_NET_LISTEN_H
#define TAGD_NET_LISTEN_H
/* The TCP listeners of tagd's servers (LMTP, HTTP) share one way to open
   a socket from "host:port" or "[v6]:port". */
#include <stddef.h>

/* net_listen_tcp - bind and listen on spec (port 0 = any free one). Returns
   the socket, with the address it is bound to ("127.0.0.1:2424",
   "[::1]:24") in addr_r; -1 with a message naming what (e.g. "LMTP") in
   err. */
int net_listen_tcp(const char *what, const char *spec, char *addr_r, size_t addrlen,
		   char *err, size_t errlen);

#endif
