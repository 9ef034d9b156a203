/* listen.c - TCP listening sockets */
#include "config.h"
#include "net/listen.h"
#include "lib/str.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int net_listen_tcp(const char *what, const char *spec, char *addr_r, size_t addrlen,
		   char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (!colon || colon == spec || colon[1] == '\0') {
		snprintf(err, errlen, "%s listen address \"%s\": want HOST:PORT", what, spec);
		return -1;
	}
	const char *h = spec;
	size_t hl = (size_t)(colon - spec);
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "%s listen host missing or too long: %s", what, spec);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	int port;
	if (str_to_int(colon + 1, 0, 65535, &port) < 0) {
		snprintf(err, errlen, "%s listen port \"%s\" is not a number in 0..65535", what, colon + 1);
		return -1;
	}
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int gai = getaddrinfo(host, colon + 1, &hints, &res);
	if (gai != 0) {
		snprintf(err, errlen, "%s listen host %s: %s", what, host, gai_strerror(gai));
		return -1;
	}
	int fd = -1, e = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(e));
		return -1;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";
	int bound = port;
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
			bound = ntohs(in->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
			bound = ntohs(in6->sin6_port);
		}
	}
	snprintf(addr_r, addrlen, ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, bound);
	return fd;
}
