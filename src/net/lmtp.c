#include "config.h"
#include "net/listen.h"
#include "net/lmtp.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 16384
#define READS_PER_WAKEUP 4          /* fairness: at most 64 KiB per client per round */
#define ACCEPTS_PER_WAKEUP 16
#define OUT_HIGH_WATER 65536        /* pending replies above this: stop reading */
#define DATA_PARTIAL_MAX 8192       /* an unfinished data line longer than this is
				       taken in pieces (it cannot be the final dot) */
#define IN_MAX (LMTP_MAX_COMMAND_LINE + DATA_PARTIAL_MAX + READ_CHUNK)
#define OUT_MAX ((size_t)4 << 20)   /* replies are short; a cap all the same */

enum mode { M_CMD, M_DATA, M_CLOSING };

struct conn {
	int fd;
	int dead;               /* to be closed and freed at the end of the round */
	enum mode mode;
	struct buf in;          /* bytes not yet processed */
	struct buf out;         /* replies not yet written */
	size_t out_off;
	int64_t last_ms;        /* last byte from the client */
	int errors;
	int skipping;           /* a command line over the limit: drop to its end */
	int lhlo;
	int has_mail;
	char *mail_from;
	char **rcpts;
	size_t nrcpts;
	/* DATA */
	struct buf msg;
	int line_start;         /* the next data byte begins a line */
	size_t line_len;
	int too_big, line_too_long;
};

struct lmtp_server {
	int listen_fd;
	char *unix_path;        /* to remove at the end */
	char address[300];
	size_t max_size;
	struct lmtp_limits lim;
	char hostname[256];
	lmtp_rcpt_fn rcpt_fn;
	lmtp_deliver_fn deliver_fn;
	void *arg;
	struct conn **conns;
	size_t nconns;
	struct pollfd *pfds;    /* for run_once */
	size_t npfds;
};

static char error_text[512];

/* fail - set *error_r to a formatted text; returns NULL for tail calls */
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

/* buf_consume - drop the first n bytes */
static void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_truncate(b, 0);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	buf_truncate(b, b->len - n);
}

/* ---- listening ---------------------------------------------------------- */

/* listen_unix - bind a UNIX socket at path, replacing a stale one */
static int listen_unix(struct lmtp_server *s, const char *path, const char **error_r)
{
	struct sockaddr_un sun;
	struct stat st;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fail(error_r, "LMTP socket path too long (max %zu bytes): %s", sizeof(sun.sun_path) - 1, path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fail(error_r, "%s exists and is not a socket", path);
			return -1;
		}
		int probe = socket(AF_UNIX, SOCK_STREAM, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			fail(error_r, "%s: another server is listening there", path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		if (unlink(path) < 0) {
			fail(error_r, "cannot remove stale socket %s: %s", path, strerror(errno));
			return -1;
		}
	}
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		fail(error_r, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 64) < 0) {
		fail(error_r, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	s->unix_path = xstrdup(path);
	snprintf(s->address, sizeof(s->address), "%s", path);
	return fd;
}

/* listen_tcp - bind "host:port" or "[v6]:port" */
static int listen_tcp(struct lmtp_server *s, const char *spec, const char **error_r)
{
	char err[512];
	int fd = net_listen_tcp("LMTP", spec, s->address, sizeof(s->address), err, sizeof(err));
	if (fd < 0)
		fail(error_r, "%s", err);
	return fd;
}

static void apply_limits(struct lmtp_server *s, const struct lmtp_limits *l)
{
	if (l->max_rcpts)
		s->lim.max_rcpts = l->max_rcpts;
	if (l->max_conns)
		s->lim.max_conns = l->max_conns;
	if (l->idle_timeout_ms > 0)
		s->lim.idle_timeout_ms = l->idle_timeout_ms;
	if (l->max_errors > 0)
		s->lim.max_errors = l->max_errors;
	if (l->max_data_line)
		s->lim.max_data_line = l->max_data_line;
	if (l->hostname && *l->hostname) {
		snprintf(s->hostname, sizeof(s->hostname), "%s", l->hostname);
		/* it goes into replies: keep it one printable word */
		for (char *p = s->hostname; *p; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f)
				*p = '_';
	}
}

struct lmtp_server *lmtp_server_new(const char *listen_spec, size_t max_size,
				    lmtp_rcpt_fn rcpt_fn, lmtp_deliver_fn deliver_fn, void *arg,
				    const char **error_r)
{
	if (!rcpt_fn || !deliver_fn)
		return fail(error_r, "LMTP server needs rcpt and deliver callbacks");
	struct lmtp_server *s = xcalloc(1, sizeof(*s));
	s->listen_fd = -1;
	s->max_size = max_size ? max_size : LMTP_DEFAULT_MAX_SIZE;
	s->rcpt_fn = rcpt_fn;
	s->deliver_fn = deliver_fn;
	s->arg = arg;
	s->lim.max_rcpts = LMTP_DEFAULT_MAX_RCPTS;
	s->lim.max_conns = LMTP_DEFAULT_MAX_CONNS;
	s->lim.idle_timeout_ms = LMTP_DEFAULT_IDLE_TIMEOUT_MS;
	s->lim.max_errors = LMTP_DEFAULT_MAX_ERRORS;
	s->lim.max_data_line = LMTP_DEFAULT_MAX_DATA_LINE;
	char hn[256];
	if (gethostname(hn, sizeof(hn)) != 0)
		snprintf(hn, sizeof(hn), "localhost");
	hn[sizeof(hn) - 1] = '\0';
	struct lmtp_limits l = { .hostname = hn };
	apply_limits(s, &l);
	if (listen_spec) {
		s->listen_fd = listen_spec[0] == '/' ? listen_unix(s, listen_spec, error_r)
						      : listen_tcp(s, listen_spec, error_r);
		if (s->listen_fd < 0 || set_nonblock(s->listen_fd) < 0) {
			if (s->listen_fd >= 0)
				fail(error_r, "fcntl: %s", strerror(errno));
			lmtp_server_free(&s);
			return NULL;
		}
		log_debug(LOG_SUB_LMTP, "lmtp: listening on %s", s->address);
	}
	return s;
}

void lmtp_server_set_limits(struct lmtp_server *s, const struct lmtp_limits *l)
{
	apply_limits(s, l);
}

const char *lmtp_server_address(const struct lmtp_server *s)
{
	return s->address;
}

size_t lmtp_server_connections(const struct lmtp_server *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nconns; i++)
		if (!s->conns[i]->dead)
			n++;
	return n;
}

size_t lmtp_server_max_fds(const struct lmtp_server *s)
{
	/* connections marked dead in this round are not yet swept */
	size_t n = s->nconns > s->lim.max_conns ? s->nconns : s->lim.max_conns;
	return n + 1;
}

/* ---- connections -------------------------------------------------------- */

static void reset_transaction(struct conn *c)
{
	xfree(&c->mail_from);
	for (size_t i = 0; i < c->nrcpts; i++)
		free(c->rcpts[i]);
	xfree(&c->rcpts);
	c->nrcpts = 0;
	c->has_mail = 0;
	buf_free(&c->msg);
	c->too_big = c->line_too_long = 0;
}

static void conn_free(struct conn *c)
{
	reset_transaction(c);
	buf_free(&c->in);
	buf_free(&c->out);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

/* reply - queue one reply line */
__attribute__((format(printf, 2, 3)))
static void reply(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	if (r < 0 || buf_puts(&c->out, "\r\n") < 0) {
		/* the client has not read megabytes of replies: give up on it */
		c->dead = 1;
	}
}

/* flush - write what the socket takes now; close a finished conversation */
static void flush(struct conn *c)
{
	while (!c->dead && c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		c->dead = 1;  /* the peer is gone */
		return;
	}
	if (c->out_off >= c->out.len) {
		buf_truncate(&c->out, 0);
		c->out_off = 0;
		if (c->mode == M_CLOSING)
			c->dead = 1;
	}
}

/* protocol_error - a 5xx reply to a command; too many of them end it */
__attribute__((format(printf, 3, 4)))
static void protocol_error(struct lmtp_server *s, struct conn *c, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	reply(c, "%s", line);
	if (++c->errors > s->lim.max_errors) {
		reply(c, "421 4.7.0 %s Too many errors, closing connection", s->hostname);
		c->mode = M_CLOSING;
	}
}

/* clean_text - a reason from a callback made fit for a reply line */
static void clean_text(char *t)
{
	for (char *p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* parse_path - "<addr>" (or a bare addr) at *pp into out; a source route
   "@a,@b:" is dropped. Moves *pp past it. -1 on bad syntax. */
static int parse_path(const char **pp, char *out, size_t size)
{
	const char *p = *pp, *end;
	size_t n;
	while (*p == ' ')
		p++;
	if (*p == '<') {
		p++;
		end = strchr(p, '>');
		if (!end)
			return -1;
		n = (size_t)(end - p);
		*pp = end + 1;
	} else {
		n = strcspn(p, " ");
		if (n == 0)
			return -1;
		*pp = p + n;
	}
	if (n > 0 && p[0] == '@') {  /* a source route: RFC 5321 4.1.1.3 says ignore it */
		const char *colon = memchr(p, ':', n);
		if (!colon)
			return -1;
		n -= (size_t)(colon + 1 - p);
		p = colon + 1;
	}
	if (n + 2 > LMTP_MAX_ADDRESS || n >= size)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || p[i] == 0x7f || p[i] == '<')
			return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static void cmd_lhlo(struct lmtp_server *s, struct conn *c, const char *arg)
{
	if (!*arg) {
		protocol_error(s, c, "501 5.5.4 Syntax: LHLO hostname");
		return;
	}
	reset_transaction(c);
	c->lhlo = 1;
	reply(c, "250-%s", s->hostname);
	reply(c, "250-PIPELINING");
	reply(c, "250-ENHANCEDSTATUSCODES");
	reply(c, "250-8BITMIME");
	reply(c, "250 SIZE %zu", s->max_size);
}

static void cmd_mail(struct lmtp_server *s, struct conn *c, const char *arg)
{
	char addr[LMTP_MAX_ADDRESS];
	if (!c->lhlo) {
		protocol_error(s, c, "503 5.5.1 Error: send LHLO first");
		return;
	}
	if (c->has_mail) {
		protocol_error(s, c, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (!str_istarts(arg, "FROM:")) {
		protocol_error(s, c, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	const char *p = arg + 5;
	while (*p == ' ')
		p++;
	if (str_starts(p, "<>")) {
		addr[0] = '\0';
		p += 2;
	} else if (parse_path(&p, addr, sizeof(addr)) < 0) {
		protocol_error(s, c, "501 5.1.7 Bad sender address syntax");
		return;
	}
	/* parameters: SIZE=n, BODY=7BIT|8BITMIME */
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, " ");
		char param[128];
		if (n >= sizeof(param)) {
			protocol_error(s, c, "555 5.5.4 Unsupported parameter");
			return;
		}
		memcpy(param, p, n);
		param[n] = '\0';
		p += n;
		if (str_istarts(param, "SIZE=")) {
			int64_t size;
			if (str_to_i64(param + 5, 0, INT64_MAX, &size) < 0) {
				protocol_error(s, c, "501 5.5.4 Bad SIZE parameter");
				return;
			}
			if ((uint64_t)size > (uint64_t)s->max_size) {
				reply(c, "552 5.3.4 Message size exceeds fixed limit (%zu bytes)", s->max_size);
				return;
			}
		} else if (str_istarts(param, "BODY=")) {
			if (str_casecmp(param + 5, "7BIT") != 0 && str_casecmp(param + 5, "8BITMIME") != 0) {
				protocol_error(s, c, "555 5.5.4 Unsupported BODY type");
				return;
			}
		} else {
			protocol_error(s, c, "555 5.5.4 Unsupported parameter");
			return;
		}
	}
	c->mail_from = xstrdup(addr);
	c->has_mail = 1;
	reply(c, "250 2.1.0 Ok");
}

static void cmd_rcpt(struct lmtp_server *s, struct conn *c, const char *arg)
{
	char addr[LMTP_MAX_ADDRESS];
	if (!c->has_mail) {
		protocol_error(s, c, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (!str_istarts(arg, "TO:")) {
		protocol_error(s, c, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	const char *p = arg + 3;
	if (parse_path(&p, addr, sizeof(addr)) < 0 || addr[0] == '\0') {
		protocol_error(s, c, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	while (*p == ' ')
		p++;
	if (*p) {
		protocol_error(s, c, "555 5.5.4 Unsupported parameter");
		return;
	}
	if (c->nrcpts >= s->lim.max_rcpts) {
		reply(c, "452 4.5.3 Error: too many recipients");
		return;
	}
	switch (s->rcpt_fn(s->arg, addr)) {
	case LMTP_OK:
		c->rcpts = xreallocarray(c->rcpts, c->nrcpts + 1, sizeof(*c->rcpts));
		c->rcpts[c->nrcpts++] = xstrdup(addr);
		reply(c, "250 2.1.5 Ok");
		break;
	case LMTP_REJECT:
		reply(c, "550 5.1.1 <%s>: Recipient address rejected: User unknown", addr);
		break;
	case LMTP_NOSPACE:
		reply(c, "452 4.3.1 <%s>: Insufficient system storage", addr);
		break;
	case LMTP_TEMPFAIL:
	default:
		reply(c, "451 4.3.0 <%s>: Temporary failure, try again later", addr);
		break;
	}
}

static void cmd_data(struct lmtp_server *s, struct conn *c, const char *arg)
{
	if (*arg) {
		protocol_error(s, c, "501 5.5.4 Syntax: DATA");
		return;
	}
	if (!c->has_mail) {
		protocol_error(s, c, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (c->nrcpts == 0) {
		protocol_error(s, c, "503 5.5.1 Error: no valid recipients");
		return;
	}
	buf_init(&c->msg, 0);
	c->line_start = 1;
	c->line_len = 0;
	c->too_big = c->line_too_long = 0;
	c->mode = M_DATA;
	reply(c, "354 Start mail input; end with <CRLF>.<CRLF>");
}

/* end_of_data - one reply per accepted recipient, each after its delivery */
static void end_of_data(struct lmtp_server *s, struct conn *c)
{
	c->mode = M_CMD;
	for (size_t i = 0; i < c->nrcpts; i++) {
		const char *rcpt = c->rcpts[i];
		if (c->too_big) {
			reply(c, "552 5.3.4 <%s>: Message size exceeds fixed limit (%zu bytes)", rcpt, s->max_size);
			continue;
		}
		if (c->line_too_long) {
			reply(c, "554 5.6.0 <%s>: Message has a line longer than %zu bytes", rcpt,
			      s->lim.max_data_line);
			continue;
		}
		char reason[LMTP_REASON_MAX] = "";
		enum lmtp_verdict v = s->deliver_fn(s->arg, c->mail_from, rcpt, c->msg.data ? c->msg.data : "",
						    c->msg.len, reason, sizeof(reason));
		reason[sizeof(reason) - 1] = '\0';
		clean_text(reason);
		log_debug(LOG_SUB_LMTP, "lmtp: <%s> from <%s>, %zu bytes: verdict %d %s", rcpt,
			  c->mail_from, c->msg.len, (int)v, reason);
		switch (v) {
		case LMTP_OK:
			reply(c, "250 2.0.0 <%s> %s", rcpt, reason[0] ? reason : "Delivered");
			break;
		case LMTP_NOSPACE:
			reply(c, "452 4.3.1 <%s> %s", rcpt, reason[0] ? reason : "Insufficient system storage");
			break;
		case LMTP_REJECT:
			reply(c, "550 5.6.0 <%s> %s", rcpt, reason[0] ? reason : "Message refused");
			break;
		case LMTP_TEMPFAIL:
		default:
			reply(c, "451 4.3.0 <%s> %s", rcpt, reason[0] ? reason : "Temporary failure, try again later");
			break;
		}
	}
	reset_transaction(c);
}

/* command - one command line (without its line end) */
static void command(struct lmtp_server *s, struct conn *c, char *line)
{
	size_t vl = strcspn(line, " ");
	char *arg = line + vl;
	while (*arg == ' ')
		arg++;
	line[vl] = '\0';
	/* trailing blanks are common and harmless */
	for (size_t n = strlen(arg); n > 0 && (arg[n - 1] == ' ' || arg[n - 1] == '\t'); n--)
		arg[n - 1] = '\0';

	if (str_casecmp(line, "LHLO") == 0)
		cmd_lhlo(s, c, arg);
	else if (str_casecmp(line, "MAIL") == 0)
		cmd_mail(s, c, arg);
	else if (str_casecmp(line, "RCPT") == 0)
		cmd_rcpt(s, c, arg);
	else if (str_casecmp(line, "DATA") == 0)
		cmd_data(s, c, arg);
	else if (str_casecmp(line, "RSET") == 0) {
		reset_transaction(c);
		reply(c, "250 2.0.0 Ok");
	} else if (str_casecmp(line, "NOOP") == 0)
		reply(c, "250 2.0.0 Ok");
	else if (str_casecmp(line, "VRFY") == 0)
		reply(c, "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery");
	else if (str_casecmp(line, "HELP") == 0)
		reply(c, "214 2.0.0 Commands: LHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT");
	else if (str_casecmp(line, "QUIT") == 0) {
		reply(c, "221 2.0.0 %s Bye", s->hostname);
		c->mode = M_CLOSING;
	} else if (str_casecmp(line, "HELO") == 0 || str_casecmp(line, "EHLO") == 0)
		protocol_error(s, c, "500 5.5.1 Error: this is LMTP, say LHLO");
	else
		protocol_error(s, c, "500 5.5.2 Error: command not recognized");
}

/* data_bytes - take message bytes from c->in; returns bytes used, and
   leaves M_DATA at the final dot */
static size_t data_bytes(struct lmtp_server *s, struct conn *c)
{
	const char *in = c->in.data;
	size_t len = c->in.len, pos = 0;
	while (pos < len && c->mode == M_DATA) {
		const char *seg = in + pos;
		const char *nl = memchr(seg, '\n', len - pos);
		size_t n;
		int complete = nl != NULL;
		if (complete) {
			n = (size_t)(nl - seg) + 1;
		} else {
			n = len - pos;
			if (n < DATA_PARTIAL_MAX)
				break;  /* wait for the rest of the line */
		}
		pos += n;
		if (c->line_start && complete &&
		    ((n == 3 && memcmp(seg, ".\r\n", 3) == 0) || (n == 2 && memcmp(seg, ".\n", 2) == 0))) {
			end_of_data(s, c);
			break;
		}
		c->line_len += n;
		if (c->line_len > s->lim.max_data_line)
			c->line_too_long = 1;
		if (c->line_start && seg[0] == '.') {  /* dot-unstuffing */
			seg++;
			n--;
		}
		if (!c->too_big) {
			if (c->msg.len + n > s->max_size) {
				c->too_big = 1;
				buf_free(&c->msg);  /* keep reading to the end, storing nothing */
			} else if (buf_append(&c->msg, seg, n) < 0) {
				c->too_big = 1;
				buf_free(&c->msg);
			}
		}
		c->line_start = complete;
		if (complete)
			c->line_len = 0;
	}
	return pos;
}

/* process - work through the buffered input as far as it goes */
static void process(struct lmtp_server *s, struct conn *c)
{
	size_t pos = 0;
	while (!c->dead && c->mode != M_CLOSING && pos < c->in.len &&
	       c->out.len - c->out_off < OUT_HIGH_WATER) {
		if (c->mode == M_DATA) {
			buf_consume(&c->in, pos);
			pos = 0;
			size_t used = data_bytes(s, c);
			buf_consume(&c->in, used);
			if (c->mode == M_DATA)
				break;  /* needs more input */
			continue;
		}
		char *line = c->in.data + pos;
		char *nl = memchr(line, '\n', c->in.len - pos);
		if (!nl) {
			if (c->in.len - pos > LMTP_MAX_COMMAND_LINE) {
				c->skipping = 1;
				pos = c->in.len;  /* drop it; the rest follows */
			}
			break;
		}
		size_t n = (size_t)(nl - line);
		pos += n + 1;
		if (c->skipping || n > LMTP_MAX_COMMAND_LINE) {
			c->skipping = 0;
			protocol_error(s, c, "500 5.5.2 Error: line too long (max %d bytes)", LMTP_MAX_COMMAND_LINE);
			continue;
		}
		if (n > 0 && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL) {
			protocol_error(s, c, "500 5.5.2 Error: NUL byte in command");
			continue;
		}
		if (log_debug_enabled(LOG_SUB_LMTP))
			log_debug(LOG_SUB_LMTP, "lmtp C: %.200s", line);
		command(s, c, line);
	}
	buf_consume(&c->in, pos);
}

/* conn_read - take what the client sent, bounded per round */
static void conn_read(struct lmtp_server *s, struct conn *c)
{
	char chunk[READ_CHUNK];
	for (int i = 0; i < READS_PER_WAKEUP && !c->dead && c->mode != M_CLOSING; i++) {
		if (c->out.len - c->out_off >= OUT_HIGH_WATER)
			break;
		size_t room = IN_MAX - c->in.len;
		if (room > sizeof(chunk))
			room = sizeof(chunk);
		if (room == 0)
			break;
		ssize_t n = recv(c->fd, chunk, room, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == 0) {
			/* EOF: answer what came before it, then close; a transaction
			   still open is dropped unanswered (the client retries) */
			if (c->mode == M_DATA || c->has_mail)
				log_debug(LOG_SUB_LMTP, "lmtp: client left in the middle of a transaction");
			c->mode = M_CLOSING;
			flush(c);
			return;
		}
		if (n < 0) {
			c->dead = 1;
			return;
		}
		c->last_ms = now_ms();
		buf_append(&c->in, chunk, (size_t)n);  /* room was checked */
		process(s, c);
	}
}

static int wants_input(const struct conn *c)
{
	return !c->dead && c->mode != M_CLOSING && c->out.len - c->out_off < OUT_HIGH_WATER;
}

int lmtp_server_add_client(struct lmtp_server *s, int fd)
{
	if (lmtp_server_connections(s) >= s->lim.max_conns) {
		char line[300];
		int n = snprintf(line, sizeof(line), "421 4.3.2 %s Too many connections, try again later\r\n",
				 s->hostname);
		(void)set_nonblock(fd);
		if (send(fd, line, (size_t)n, MSG_NOSIGNAL) < 0)
			log_debug(LOG_SUB_LMTP, "lmtp: 421 to a connection over the limit: %s", strerror(errno));
		close(fd);
		log_warn("lmtp: connection refused: %zu connections open (limit)", s->lim.max_conns);
		return -1;
	}
	if (set_nonblock(fd) < 0) {
		log_warn_errno("lmtp: fcntl");
		close(fd);
		return -1;
	}
	struct conn *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->mode = M_CMD;
	buf_init(&c->in, IN_MAX);
	buf_init(&c->out, OUT_MAX);
	c->last_ms = now_ms();
	s->conns = xreallocarray(s->conns, s->nconns + 1, sizeof(*s->conns));
	s->conns[s->nconns++] = c;
	reply(c, "220 %s LMTP tagd ready", s->hostname);
	flush(c);
	log_debug(LOG_SUB_LMTP, "lmtp: connection %d opened (%zu open)", fd, lmtp_server_connections(s));
	return 0;
}

/* accept_clients - take the waiting connections, bounded per round */
static void accept_clients(struct lmtp_server *s)
{
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept(s->listen_fd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn_errno("lmtp: accept");
			return;
		}
		lmtp_server_add_client(s, fd);
	}
}

size_t lmtp_server_fds(struct lmtp_server *s, struct pollfd *fds, size_t max, int *timeout_ms_r)
{
	size_t n = 0;
	int64_t now = now_ms();
	if (s->listen_fd >= 0 && n < max) {
		fds[n].fd = s->listen_fd;
		fds[n].events = POLLIN;
		fds[n].revents = 0;
		n++;
	}
	for (size_t i = 0; i < s->nconns; i++) {
		struct conn *c = s->conns[i];
		if (c->dead)
			continue;
		int64_t left = c->last_ms + s->lim.idle_timeout_ms - now;
		if (left < 0)
			left = 0;
		if (*timeout_ms_r < 0 || left < *timeout_ms_r)
			*timeout_ms_r = (int)left;
		if (n >= max)
			continue;
		fds[n].fd = c->fd;
		fds[n].events = (short)((wants_input(c) ? POLLIN : 0) | (c->out_off < c->out.len ? POLLOUT : 0));
		fds[n].revents = 0;
		n++;
	}
	return n;
}

static struct conn *find_conn(struct lmtp_server *s, int fd)
{
	for (size_t i = 0; i < s->nconns; i++)
		if (s->conns[i]->fd == fd && !s->conns[i]->dead)
			return s->conns[i];
	return NULL;
}

/* sweep - expire idle connections, close and free the finished ones */
static void sweep(struct lmtp_server *s)
{
	int64_t now = now_ms();
	size_t j = 0;
	for (size_t i = 0; i < s->nconns; i++) {
		struct conn *c = s->conns[i];
		if (!c->dead && now - c->last_ms >= s->lim.idle_timeout_ms) {
			reply(c, "421 4.4.2 %s Error: timeout exceeded, closing connection", s->hostname);
			c->mode = M_CLOSING;
			flush(c);
			c->dead = 1;  /* do not wait for a client that does not read either */
			log_debug(LOG_SUB_LMTP, "lmtp: connection %d idle: closed", c->fd);
		}
		if (c->dead) {
			log_debug(LOG_SUB_LMTP, "lmtp: connection %d closed", c->fd);
			conn_free(c);
			continue;
		}
		s->conns[j++] = c;
	}
	s->nconns = j;
}

void lmtp_server_handle(struct lmtp_server *s, const struct pollfd *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].fd == s->listen_fd) {
			if (fds[i].revents & POLLIN)
				accept_clients(s);
			continue;
		}
		struct conn *c = find_conn(s, fds[i].fd);
		if (!c)
			continue;
		if (fds[i].revents & POLLOUT)
			flush(c);
		if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (wants_input(c))
				conn_read(s, c);
			else if (fds[i].revents & (POLLHUP | POLLERR))
				c->dead = 1;
		}
		/* replies drained: go on with input held back meanwhile */
		if (!c->dead && c->in.len && wants_input(c))
			process(s, c);
		flush(c);
	}
	sweep(s);
}

int lmtp_server_run_once(struct lmtp_server *s, int timeout_ms)
{
	size_t max = lmtp_server_max_fds(s);
	if (max > s->npfds) {
		s->pfds = xreallocarray(s->pfds, max, sizeof(*s->pfds));
		s->npfds = max;
	}
	int t = timeout_ms;
	size_t n = lmtp_server_fds(s, s->pfds, max, &t);
	int r = poll(s->pfds, (nfds_t)n, t);
	if (r < 0) {
		if (errno == EINTR)
			return 0;
		return -1;
	}
	lmtp_server_handle(s, s->pfds, n);
	return 0;
}

void lmtp_server_free(struct lmtp_server **sp)
{
	struct lmtp_server *s = *sp;
	if (!s)
		return;
	for (size_t i = 0; i < s->nconns; i++) {
		struct conn *c = s->conns[i];
		if (!c->dead && c->mode != M_CLOSING) {
			/* best effort, without waiting: the client knows to retry */
			reply(c, "421 4.3.2 %s Service shutting down, closing connection", s->hostname);
			c->mode = M_CLOSING;
			flush(c);
		}
		conn_free(c);
	}
	free(s->conns);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->unix_path) {
		unlink(s->unix_path);
		free(s->unix_path);
	}
	free(s->pfds);
	free(s);
	*sp = NULL;
}
