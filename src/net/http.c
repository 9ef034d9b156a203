/* http.c - a small, bounded HTTP/1.1 server (one request per connection) */
#include "config.h"
#include "net/listen.h"
#include "net/http.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 4096
#define ACCEPTS_PER_WAKEUP 16

enum state {
	S_READ,                 /* receiving the request */
	S_WRITE,                /* sending the answer */
	S_LINGER,               /* answer sent, write side shut: drain until EOF */
	S_DEAD,                 /* to be closed at the end of the round */
};

struct conn {
	int fd;
	enum state state;
	struct buf in;
	struct buf out;
	size_t out_off;
	int64_t deadline_ms;
	char peer[64];
};

struct http_server {
	int listen_fd;
	char address[80];
	struct http_limits lim;
	http_handler_fn fn;
	void *arg;
	struct conn **conns;
	size_t nconns;
	struct pollfd *pfds;    /* for run_once */
	size_t npfds;
};

static char error_text[512];

/* fail - set *error_r to a formatted text; NULL for tail calls */
__attribute__((format(printf, 2, 3)))
static void *fail(const char **error_r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(error_text, sizeof(error_text), fmt, ap);
	va_end(ap);
	if (error_r)
		*error_r = error_text;
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

void http_html_escape(struct buf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': buf_puts(out, "&amp;"); break;
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		default: buf_putc(out, *s); break;
		}
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* form_decode - one urlencoded component ('+' is a space, %XX a byte) */
static char *form_decode(const char *p, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '+') {
			out[o++] = ' ';
		} else if (p[i] == '%' && i + 2 < n && hexval((unsigned char)p[i + 1]) >= 0 &&
			   hexval((unsigned char)p[i + 2]) >= 0) {
			out[o++] = (char)(hexval((unsigned char)p[i + 1]) * 16 + hexval((unsigned char)p[i + 2]));
			i += 2;
		} else {
			out[o++] = p[i];
		}
	}
	out[o] = '\0';
	return out;
}

char *http_form_value(const char *form, size_t len, const char *key)
{
	size_t i = 0;
	while (i < len) {
		size_t e = i;
		while (e < len && form[e] != '&' && form[e] != ';')
			e++;
		const char *eq = memchr(form + i, '=', e - i);
		size_t klen = eq ? (size_t)(eq - (form + i)) : e - i;
		char *k = form_decode(form + i, klen);
		/* a trailing line end (curl -d from a file, some forms) is not part of the value */
		size_t vend = e;
		while (vend > i && (form[vend - 1] == '\r' || form[vend - 1] == '\n'))
			vend--;
		int match = strcmp(k, key) == 0;
		free(k);
		if (match) {
			if (eq == NULL)
				return xstrdup("");
			const char *v = eq + 1;
			return form_decode(v, vend > (size_t)(v - form) ? vend - (size_t)(v - form) : 0);
		}
		i = e + 1;
	}
	return NULL;
}

const char *http_header_get(const struct http_request *rq, const char *name)
{
	for (size_t i = 0; i < rq->nheaders; i++)
		if (str_casecmp(rq->headers[i].name, name) == 0)
			return rq->headers[i].value;
	return NULL;
}

/* ---- listening ---- */

/* listen_tcp - bind "host:port" or "[v6]:port" */
static int listen_tcp(struct http_server *s, const char *spec, const char **error_r)
{
	char err[512];
	int fd = net_listen_tcp("HTTP", spec, s->address, sizeof(s->address), err, sizeof(err));
	if (fd < 0)
		fail(error_r, "%s", err);
	return fd;
}

void http_server_set_limits(struct http_server *s, const struct http_limits *l)
{
	if (l->max_conns)
		s->lim.max_conns = l->max_conns;
	if (l->max_head)
		s->lim.max_head = l->max_head;
	if (l->max_headers)
		s->lim.max_headers = l->max_headers;
	if (l->max_body)
		s->lim.max_body = l->max_body;
	if (l->timeout_ms > 0)
		s->lim.timeout_ms = l->timeout_ms;
}

struct http_server *http_server_new(const char *listen_spec, http_handler_fn fn, void *arg, const char **error_r)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	s->lim.max_conns = HTTP_DEFAULT_MAX_CONNS;
	s->lim.max_head = HTTP_DEFAULT_MAX_HEAD;
	s->lim.max_headers = HTTP_DEFAULT_MAX_HEADERS;
	s->lim.max_body = HTTP_DEFAULT_MAX_BODY;
	s->lim.timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
	s->fn = fn;
	s->arg = arg;
	s->listen_fd = listen_tcp(s, listen_spec ? listen_spec : "", error_r);
	if (s->listen_fd < 0 || set_nonblock(s->listen_fd) < 0) {
		if (s->listen_fd >= 0) {
			fail(error_r, "cannot make the HTTP listener non-blocking: %s", strerror(errno));
			close(s->listen_fd);
		}
		free(s);
		return NULL;
	}
	return s;
}

const char *http_server_address(const struct http_server *s)
{
	return s->address;
}

size_t http_server_connections(const struct http_server *s)
{
	return s->nconns;
}

size_t http_server_max_fds(const struct http_server *s)
{
	return s->lim.max_conns + 1;
}

/* ---- answers ---- */

/* http_date - an IMF-fixdate (RFC 9110 5.6.7) */
static void http_date(char *out, size_t size)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = clock_now();
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
		 mons[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* respond - put the whole answer in c->out and start writing it */
static void respond(struct http_server *s, struct conn *c, int status, const char *ctype, const char *allow,
		    const char *body, size_t blen, int head)
{
	char date[64];
	http_date(date, sizeof(date));
	buf_reset(&c->out);
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
	buf_printf(&c->out, "Date: %s\r\n", date);
	buf_printf(&c->out, "Content-Type: %s\r\n", ctype ? ctype : "text/plain; charset=utf-8");
	buf_printf(&c->out, "Content-Length: %zu\r\n", blen);
	if (allow)
		buf_printf(&c->out, "Allow: %s\r\n", allow);
	buf_puts(&c->out, "Connection: close\r\n"
			  "Cache-Control: no-store\r\n"
			  "X-Content-Type-Options: nosniff\r\n"
			  "X-Frame-Options: DENY\r\n"
			  "Referrer-Policy: no-referrer\r\n"
			  "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
			  "form-action 'self'; frame-ancestors 'none'\r\n"
			  "\r\n");
	if (!head && blen)
		buf_append(&c->out, body, blen);
	c->out_off = 0;
	c->state = S_WRITE;
	c->deadline_ms = now_ms() + s->lim.timeout_ms;
}

/* respond_error - a short plain-text answer made by the server itself */
static void respond_error(struct http_server *s, struct conn *c, int status, const char *why)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "%d %s: %s\n", status, http_reason(status), why);
	log_debug(LOG_SUB_MAIN, "http %s: %d %s", c->peer, status, why);
	respond(s, c, status, NULL, NULL, body, (size_t)n, 0);
}

/* ---- requests ---- */

static int is_tchar(int ch)
{
	return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* head_end - where the request head ends (after the blank line), 0 if not yet */
static size_t head_end(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* next_line - the line at *pos (without CR LF), advancing *pos */
static char *next_line(char *p, size_t end, size_t *pos)
{
	size_t i = *pos;
	if (i >= end)
		return NULL;
	char *line = p + i;
	while (i < end && p[i] != '\n')
		i++;
	size_t e = i;
	if (e > *pos && p[e - 1] == '\r')
		e--;
	p[e] = '\0';
	*pos = i < end ? i + 1 : end;
	return line;
}

/* try_request - parse c->in if it holds a whole request and answer it:
   0 when more bytes are needed */
static int try_request(struct http_server *s, struct conn *c)
{
	size_t hend = head_end(c->in.data ? c->in.data : "", c->in.len);
	if (hend == 0) {
		if (c->in.len > s->lim.max_head) {
			respond_error(s, c, 431, "the request head is too large");
			return 1;
		}
		return 0;
	}
	if (hend > s->lim.max_head) {
		respond_error(s, c, 431, "the request head is too large");
		return 1;
	}
	/* the request line */
	char *head = xstrndup(c->in.data, hend);
	size_t pos = 0;
	char *line = next_line(head, hend, &pos);
	while (line && *line == '\0') /* RFC 9112 2.2: ignore a leading empty line */
		line = next_line(head, hend, &pos);
	struct http_header hdrs[256];
	size_t nh = 0;
	int status = 0;
	const char *why = "";
	char *method = NULL, *target = NULL, *version = NULL;
	if (line == NULL) {
		status = 400, why = "no request line";
		goto out;
	}
	method = line;
	char *sp1 = strchr(line, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || strchr(sp2 + 1, ' ')) {
		status = 400, why = "malformed request line";
		goto out;
	}
	*sp1 = '\0';
	*sp2 = '\0';
	target = sp1 + 1;
	version = sp2 + 1;
	size_t ml = strlen(method);
	int good = ml > 0 && ml <= HTTP_MAX_METHOD;
	for (const char *m = method; good && *m; m++)
		good = is_tchar((unsigned char)*m);
	if (!good) {
		status = 400, why = "bad method";
		goto out;
	}
	if (!str_starts(version, "HTTP/") || strlen(version) != 8 || !isdigit((unsigned char)version[5]) ||
	    version[6] != '.' || !isdigit((unsigned char)version[7])) {
		status = 400, why = "bad HTTP version";
		goto out;
	}
	if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
		status = 505, why = "only HTTP/1.0 and HTTP/1.1";
		goto out;
	}
	if (target[0] != '/') {
		status = 400, why = "the target must be a path";
		goto out;
	}
	for (const char *t = target; *t; t++)
		if ((unsigned char)*t <= 0x20 || *t == 0x7f) {
			status = 400, why = "control characters in the target";
			goto out;
		}
	/* header fields */
	while ((line = next_line(head, hend, &pos)) != NULL && *line) {
		if (*line == ' ' || *line == '\t') {
			status = 400, why = "folded header lines are not allowed";
			goto out;
		}
		char *colon = strchr(line, ':');
		if (colon == NULL || colon == line) {
			status = 400, why = "malformed header field";
			goto out;
		}
		for (char *n = line; n < colon; n++)
			if (!is_tchar((unsigned char)*n)) {
				status = 400, why = "malformed header name";
				goto out;
			}
		if (nh >= s->lim.max_headers || nh >= sizeof(hdrs) / sizeof(hdrs[0])) {
			status = 431, why = "too many header fields";
			goto out;
		}
		*colon = '\0';
		char *v = colon + 1;
		for (char *q = v; *q; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f) {
				status = 400, why = "control characters in a header field";
				goto out;
			}
		hdrs[nh].name = line;
		hdrs[nh].value = str_trim(v);
		nh++;
	}
	struct http_request rq;
	memset(&rq, 0, sizeof(rq));
	rq.headers = hdrs;
	rq.nheaders = nh;
	rq.minor = version[7] - '0';
	if (rq.minor == 1 && http_header_get(&rq, "Host") == NULL) {
		status = 400, why = "HTTP/1.1 needs a Host header";
		goto out;
	}
	if (http_header_get(&rq, "Transfer-Encoding")) {
		status = 501, why = "Transfer-Encoding is not supported; send Content-Length";
		goto out;
	}
	size_t clen = 0;
	int have_len = 0;
	for (size_t i = 0; i < nh; i++) {
		if (str_casecmp(hdrs[i].name, "Content-Length") != 0)
			continue;
		int64_t v;
		if (str_to_i64(hdrs[i].value, 0, INT64_MAX, &v) < 0) {
			status = 400, why = "bad Content-Length";
			goto out;
		}
		if (have_len && (size_t)v != clen) {
			status = 400, why = "conflicting Content-Length fields";
			goto out;
		}
		if ((uint64_t)v > s->lim.max_body) {
			status = 413, why = "the request body is too large";
			goto out;
		}
		clen = (size_t)v;
		have_len = 1;
	}
	if (c->in.len < hend + clen) {
		free(head);
		return 0; /* the body is still coming */
	}
	/* a whole request: hand it over */
	char *body = xstrndup(c->in.data + hend, clen);
	char *path = xstrdup(target);
	char *q = strchr(path, '?');
	if (q)
		*q++ = '\0';
	rq.head = strcmp(method, "HEAD") == 0;
	rq.method = rq.head ? "GET" : method;
	rq.target = target;
	rq.path = path;
	rq.query = q;
	rq.body = body;
	rq.body_len = clen;
	rq.peer = c->peer;
	struct http_response resp;
	memset(&resp, 0, sizeof(resp));
	s->fn(s->arg, &rq, &resp);
	if (resp.status == 0)
		resp.status = 200;
	if (resp.body.overflowed) {
		buf_free(&resp.body);
		respond_error(s, c, 500, "the answer was too large");
	} else {
		respond(s, c, resp.status, resp.content_type, resp.allow, resp.body.data ? resp.body.data : "",
			resp.body.len, rq.head);
	}
	log_info("http %s: %s %s: %d", c->peer, rq.head ? "HEAD" : method, path, resp.status);
	buf_free(&resp.body);
	free(body);
	free(path);
	free(head);
	return 1;
out:
	respond_error(s, c, status, why);
	free(head);
	return 1;
}

/* ---- connections ---- */

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

static void accept_some(struct http_server *s)
{
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept(s->listen_fd, (struct sockaddr *)&ss, &sl);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				log_warn_errno("http: accept");
			return;
		}
		if (set_nonblock(fd) < 0) {
			close(fd);
			continue;
		}
		if (s->nconns >= s->lim.max_conns) {
			/* one more than allowed: say so, as far as the socket takes it, and close */
			static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
						   "Content-Length: 24\r\nConnection: close\r\nRetry-After: 10\r\n\r\n"
						   "too many connections\r\n\r\n";
			ssize_t w = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);
			(void)w;
			close(fd);
			log_warn("http: %zu connections open: one more refused", s->nconns);
			continue;
		}
		struct conn *c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->state = S_READ;
		c->deadline_ms = now_ms() + s->lim.timeout_ms;
		buf_init(&c->in, s->lim.max_head + s->lim.max_body + READ_CHUNK);
		char ip[INET6_ADDRSTRLEN] = "?";
		int port = 0;
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
			port = ntohs(in->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
			port = ntohs(in6->sin6_port);
		}
		snprintf(c->peer, sizeof(c->peer), "%s:%d", ip, port);
		s->conns = xreallocarray(s->conns, s->nconns + 1, sizeof(*s->conns));
		s->conns[s->nconns++] = c;
	}
}

static void conn_read(struct http_server *s, struct conn *c)
{
	char chunk[READ_CHUNK];
	for (;;) {
		ssize_t n = recv(c->fd, chunk, sizeof(chunk), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			c->state = S_DEAD;
			return;
		}
		if (n == 0) {
			/* the client closed before sending a whole request */
			c->state = S_DEAD;
			return;
		}
		if (buf_append(&c->in, chunk, (size_t)n) < 0) {
			/* past head + body + a chunk: whatever it is, it is too large */
			if (head_end(c->in.data ? c->in.data : "", c->in.len) == 0)
				respond_error(s, c, 431, "the request head is too large");
			else
				respond_error(s, c, 413, "the request is too large");
			return;
		}
		if (try_request(s, c))
			return;
	}
}

static void conn_write(struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			c->state = S_DEAD;
			return;
		}
		c->out_off += (size_t)n;
	}
	/* all written: half-close, then drain what the client still sends so
	   that closing does not reset the connection before it read the answer */
	shutdown(c->fd, SHUT_WR);
	c->state = S_LINGER;
	int64_t linger = now_ms() + HTTP_LINGER_MS;
	if (linger < c->deadline_ms)
		c->deadline_ms = linger;
}

static void conn_linger(struct conn *c)
{
	char drop[READ_CHUNK];
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(c->fd, drop, sizeof(drop), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			c->state = S_DEAD;
			return;
		}
		if (n < 0)
			return;
	}
}

size_t http_server_fds(struct http_server *s, struct pollfd *fds, size_t max, int *timeout_ms_r)
{
	size_t n = 0;
	if (max == 0)
		return 0;
	fds[n].fd = s->listen_fd;
	fds[n].events = POLLIN;
	fds[n].revents = 0;
	n++;
	int64_t now = now_ms();
	for (size_t i = 0; i < s->nconns && n < max; i++) {
		struct conn *c = s->conns[i];
		fds[n].fd = c->fd;
		fds[n].events = c->state == S_WRITE ? POLLOUT : POLLIN;
		fds[n].revents = 0;
		n++;
		int64_t left = c->deadline_ms - now;
		if (left < 0)
			left = 0;
		if (*timeout_ms_r < 0 || left < *timeout_ms_r)
			*timeout_ms_r = (int)left;
	}
	return n;
}

/* sweep - close and forget the connections that are done */
static void sweep(struct http_server *s)
{
	size_t keep = 0;
	for (size_t k = 0; k < s->nconns; k++) {
		if (s->conns[k]->state == S_DEAD)
			conn_close(s->conns[k]);
		else
			s->conns[keep++] = s->conns[k];
	}
	s->nconns = keep;
}

void http_server_handle(struct http_server *s, const struct pollfd *fds, size_t n)
{
	int accept_ready = 0;
	for (size_t i = 0; i < n; i++) {
		if (fds[i].revents == 0)
			continue;
		if (fds[i].fd == s->listen_fd) {
			accept_ready = 1;
			continue;
		}
		for (size_t k = 0; k < s->nconns; k++) {
			struct conn *c = s->conns[k];
			if (c->fd != fds[i].fd)
				continue;
			if (c->state == S_READ && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				conn_read(s, c);
			if (c->state == S_WRITE && (fds[i].revents & (POLLOUT | POLLHUP | POLLERR)))
				conn_write(c);
			else if (c->state == S_LINGER && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				conn_linger(c);
			break;
		}
	}
	/* an answer made while reading can often be written at once */
	int64_t now = now_ms();
	for (size_t k = 0; k < s->nconns; k++) {
		struct conn *c = s->conns[k];
		if (c->state == S_WRITE && c->out_off == 0)
			conn_write(c);
		if (now < c->deadline_ms || c->state == S_DEAD)
			continue;
		if (c->state == S_READ) {
			respond_error(s, c, 408, "the request took too long");
			conn_write(c);
			if (c->state == S_WRITE)
				c->state = S_DEAD; /* a client that does not read either */
		} else {
			c->state = S_DEAD;
		}
	}
	/* connections that ended in this round make room before new ones are counted */
	sweep(s);
	if (accept_ready)
		accept_some(s);
}

int http_server_run_once(struct http_server *s, int timeout_ms)
{
	size_t need = s->nconns + 1;
	if (s->npfds < need) {
		s->pfds = xreallocarray(s->pfds, need, sizeof(*s->pfds));
		s->npfds = need;
	}
	int t = timeout_ms;
	size_t n = http_server_fds(s, s->pfds, s->npfds, &t);
	int r = poll(s->pfds, n, t);
	if (r < 0) {
		if (errno == EINTR)
			return 0;
		return -1;
	}
	http_server_handle(s, s->pfds, n);
	return 0;
}

void http_server_free(struct http_server **sp)
{
	struct http_server *s = *sp;
	if (s == NULL)
		return;
	for (size_t k = 0; k < s->nconns; k++)
		conn_close(s->conns[k]);
	free(s->conns);
	free(s->pfds);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s);
	*sp = NULL;
}
