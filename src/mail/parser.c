#include "config.h"
#include "mail/msg.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The isolated parser. The parent and a long-lived child share a Unix
   socket pair (so writes can use MSG_NOSIGNAL: no SIGPIPE whatever the
   daemon does with that signal). A request is "TMQ1", a 64-bit length and
   the raw message; the reply is "TMR1", a 64-bit length and the
   serialized result. Everything read from the child is checked as if it
   came from an attacker: the child runs libetpan on hostile input.

   Fault injection for tests: when TAGD_MAIL_PARSER_FAULTS is set in the
   environment at the time the child starts, a message holding the line
   "X-Tagd-Test-Fault: crash" makes the child abort, "...: hang" makes it
   sleep forever, "garbage", "huge" and "counts" make it send a malformed
   reply, "mutate N" flips bytes of the true reply. Nothing else reads
   that variable. */

#define REQ_MAGIC 0x31514d54u   /* "TMQ1" little-endian */
#define REP_MAGIC 0x31524d54u   /* "TMR1" */
#define FAULT_ENV "TAGD_MAIL_PARSER_FAULTS"
#define CHILD_FD 3
#define REAP_GRACE_MS 50

struct mail_parser {
	struct mail_limits lim;
	int timeout_ms;
	pid_t pid;              /* -1: no child */
	int fd;                 /* our end of the socket pair, -1: none */
	char *rbuf;             /* replies are read into this, kept between calls */
	size_t rcap;
	char err[96];
	int ahead;              /* a message sent ahead, its answer not read yet */
	char *ahead_raw;        /* a copy of its bytes */
	size_t ahead_len, ahead_cap;
};

#define RBUF_KEEP ((size_t)1 << 20)   /* a bigger reply buffer is not kept */
#define AHEAD_MAX ((size_t)1 << 20)   /* a bigger message is not sent ahead */

/* ---------------------------------------------------------------- */
/* Wire encoding: little-endian integers, length-prefixed strings. */

/* put_u32 - little-endian */
static void put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	buf_append(b, x, 4);
}

/* put_u64 - little-endian, low word first */
static void put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

/* put_bytes - a 64-bit length and the bytes */
static void put_bytes(struct buf *b, const char *p, size_t n)
{
	put_u64(b, n);
	buf_append(b, p ? p : "", n);
}

/* put_str - a C string (NULL as "") */
static void put_str(struct buf *b, const char *s)
{
	put_bytes(b, s ? s : "", s ? strlen(s) : 0);
}

/* put_ostr - a presence byte, then the string */
static void put_ostr(struct buf *b, const char *s)
{
	buf_putc(b, s ? 1 : 0);
	if (s)
		put_str(b, s);
}

/* put_addr - name and address, both optional */
static void put_addr(struct buf *b, const struct mail_addr *a)
{
	put_ostr(b, a->name);
	put_ostr(b, a->addr);
}

/* serialize - the whole result of mail_parse */
static void serialize(struct buf *b, int r, const char *error, const struct mail_msg *m)
{
	put_u32(b, r == 0 ? 0 : 1);
	if (r != 0) {
		put_str(b, error ? error : "unreadable message");
		return;
	}
	put_ostr(b, m->message_id);
	put_ostr(b, m->in_reply_to);
	put_u32(b, (uint32_t)m->nreferences);
	for (int i = 0; i < m->nreferences; i++)
		put_str(b, m->references[i]);
	put_str(b, m->subject);
	put_addr(b, &m->from);
	put_addr(b, &m->reply_to);
	put_addr(b, &m->sender);
	put_u32(b, (uint32_t)m->nto);
	for (int i = 0; i < m->nto; i++)
		put_addr(b, &m->to[i]);
	put_u32(b, (uint32_t)m->ncc);
	for (int i = 0; i < m->ncc; i++)
		put_addr(b, &m->cc[i]);
	put_u64(b, (uint64_t)(int64_t)m->date);
	put_u32(b, (uint32_t)m->nheaders);
	for (int i = 0; i < m->nheaders; i++) {
		put_str(b, m->headers[i].name);
		put_str(b, m->headers[i].value);
	}
	put_str(b, m->text);
	put_u32(b, (uint32_t)m->text_from_html);
	put_ostr(b, m->html);
	put_u32(b, (uint32_t)m->nparts);
	for (int i = 0; i < m->nparts; i++) {
		const struct mail_part *p = &m->parts[i];
		put_u32(b, (uint32_t)p->role);
		put_str(b, p->content_type);
		put_ostr(b, p->charset);
		put_ostr(b, p->filename);
		put_ostr(b, p->method);
		put_u32(b, (uint32_t)p->depth);
		put_bytes(b, p->data, p->len);
	}
	put_str(b, m->content_type);
	put_ostr(b, m->report_type);
	put_u32(b, (uint32_t)m->problems);
	put_ostr(b, m->problem);
}

struct rd {
	const unsigned char *p;
	size_t left;
	int bad;
};

/* get_u32 - 0 and bad once the bytes run out */
static uint32_t get_u32(struct rd *r)
{
	if (r->bad || r->left < 4) {
		r->bad = 1;
		return 0;
	}
	uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
		     (uint32_t)r->p[3] << 24;
	r->p += 4;
	r->left -= 4;
	return v;
}

/* get_u64 - two words, low first */
static uint64_t get_u64(struct rd *r)
{
	uint64_t lo = get_u32(r);
	uint64_t hi = get_u32(r);
	return lo | hi << 32;
}

/* get_bytes - a length-prefixed byte string, copied with a NUL added */
static char *get_bytes(struct rd *r, size_t *len_r, int cstring)
{
	uint64_t n = get_u64(r);
	if (r->bad || n > r->left) {
		r->bad = 1;
		return NULL;
	}
	if (cstring && memchr(r->p, '\0', (size_t)n)) {
		r->bad = 1;
		return NULL;
	}
	char *s = xmemdup0(r->p, (size_t)n);
	r->p += n;
	r->left -= (size_t)n;
	if (len_r)
		*len_r = (size_t)n;
	return s;
}

/* get_str - a C string: no NUL inside */
static char *get_str(struct rd *r)
{
	return get_bytes(r, NULL, 1);
}

/* get_ostr - presence byte 0 or 1, then a string */
static char *get_ostr(struct rd *r)
{
	if (r->bad || r->left < 1) {
		r->bad = 1;
		return NULL;
	}
	unsigned char f = r->p[0];
	r->p++;
	r->left--;
	if (f > 1) {
		r->bad = 1;
		return NULL;
	}
	return f ? get_str(r) : NULL;
}

/* get_count - an item count that the remaining bytes can hold */
static int get_count(struct rd *r, size_t min_item, size_t max)
{
	uint32_t n = get_u32(r);
	if (r->bad || n > max || n > INT_MAX || (size_t)n > r->left / min_item) {
		r->bad = 1;
		return 0;
	}
	return (int)n;
}

/* get_addr - the two optional strings of an address */
static void get_addr(struct rd *r, struct mail_addr *a)
{
	a->name = get_ostr(r);
	a->addr = get_ostr(r);
}

/* deserialize - rebuild the result; -1 on anything malformed */
static int deserialize(const char *data, size_t len, const struct mail_limits *lim,
		       struct mail_msg **msg_r, char *err, size_t errsz, int *failed_r)
{
	struct rd r = { (const unsigned char *)data, len, 0 };
	*failed_r = 0;
	uint32_t status = get_u32(&r);
	if (r.bad || status > 1)
		return -1;
	if (status == 1) {
		char *e = get_str(&r);
		if (r.bad || r.left != 0) {
			free(e);
			return -1;
		}
		snprintf(err, errsz, "%s", e);
		free(e);
		*failed_r = 1;
		return 0;
	}
	struct mail_msg *m = xcalloc(1, sizeof(*m));
	m->message_id = get_ostr(&r);
	m->in_reply_to = get_ostr(&r);
	m->nreferences = get_count(&r, 8, MAIL_MAX_REFERENCES);
	if (m->nreferences) {
		m->references = xcalloc((size_t)m->nreferences, sizeof(char *));
		for (int i = 0; i < m->nreferences && !r.bad; i++)
			m->references[i] = get_str(&r);
	}
	m->subject = get_str(&r);
	get_addr(&r, &m->from);
	get_addr(&r, &m->reply_to);
	get_addr(&r, &m->sender);
	m->nto = get_count(&r, 2, MAIL_MAX_ADDRS);
	if (m->nto) {
		m->to = xcalloc((size_t)m->nto, sizeof(*m->to));
		for (int i = 0; i < m->nto && !r.bad; i++)
			get_addr(&r, &m->to[i]);
	}
	m->ncc = get_count(&r, 2, MAIL_MAX_ADDRS);
	if (m->ncc) {
		m->cc = xcalloc((size_t)m->ncc, sizeof(*m->cc));
		for (int i = 0; i < m->ncc && !r.bad; i++)
			get_addr(&r, &m->cc[i]);
	}
	m->date = (time_t)(int64_t)get_u64(&r);
	m->nheaders = get_count(&r, 16, lim->max_headers);
	if (m->nheaders) {
		m->headers = xcalloc((size_t)m->nheaders, sizeof(*m->headers));
		for (int i = 0; i < m->nheaders && !r.bad; i++) {
			m->headers[i].name = get_str(&r);
			m->headers[i].value = get_str(&r);
		}
	}
	m->text = get_str(&r);
	uint32_t tfh = get_u32(&r);
	if (tfh > 1)
		r.bad = 1;
	m->text_from_html = (int)tfh;
	m->html = get_ostr(&r);
	m->nparts = get_count(&r, 4 + 8 + 3 + 4 + 8, lim->max_parts);
	if (m->nparts) {
		m->parts = xcalloc((size_t)m->nparts, sizeof(*m->parts));
		for (int i = 0; i < m->nparts && !r.bad; i++) {
			struct mail_part *p = &m->parts[i];
			uint32_t role = get_u32(&r);
			if (role > MAIL_PART_OTHER_TEXT)
				r.bad = 1;
			p->role = (enum mail_part_role)role;
			p->content_type = get_str(&r);
			p->charset = get_ostr(&r);
			p->filename = get_ostr(&r);
			p->method = get_ostr(&r);
			uint32_t depth = get_u32(&r);
			if (depth > lim->max_depth + 2)
				r.bad = 1;
			p->depth = (int)depth;
			p->data = get_bytes(&r, &p->len, 0);
		}
	}
	m->content_type = get_str(&r);
	m->report_type = get_ostr(&r);
	uint32_t probs = get_u32(&r);
	if (probs > INT_MAX)
		r.bad = 1;
	m->problems = (int)probs;
	m->problem = get_ostr(&r);
	if (!r.bad && (m->subject == NULL || m->text == NULL || m->content_type == NULL))
		r.bad = 1;
	if (r.bad || r.left != 0) {
		/* the counts may be ahead of what was filled: they are all
		   calloc'ed, so freeing NULLs is fine */
		mail_msg_free(&m);
		return -1;
	}
	*msg_r = m;
	return 0;
}

/* ---------------------------------------------------------------- */
/* The child */

/* read_full - exactly n bytes; -1 on EOF or error */
static int read_full(int fd, void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* write_full - all of it, MSG_NOSIGNAL; -1 when the peer is gone */
static int write_full(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t r = send(fd, c, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* le64 - 8 little-endian bytes */
static uint64_t le64(const unsigned char *x)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | x[i];
	return v;
}

/* le32 - 4 little-endian bytes */
static uint32_t le32(const unsigned char *x)
{
	return (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
}

/* fault - test-only misbehaviour on a marker line: 1 when a malformed
   reply was sent instead of parsing, 2 to crash, 3 to hang, 0 to parse as
   usual, -1 on a write error */
static int fault(int fd, const char *raw, size_t n)
{
	static const char mark[] = "X-Tagd-Test-Fault: ";
	const char *f = memmem(raw, n, mark, sizeof(mark) - 1);
	if (f == NULL)
		return 0;
	f += sizeof(mark) - 1;
	size_t left = n - (size_t)(f - raw);
	if (left >= 5 && memcmp(f, "crash", 5) == 0)
		return 2;
	if (left >= 4 && memcmp(f, "hang", 4) == 0)
		return 3;
	struct buf out;
	buf_init(&out, 0);
	put_u32(&out, REP_MAGIC);
	if (left >= 7 && memcmp(f, "garbage", 7) == 0) {
		put_u64(&out, 16);
		buf_append(&out, "\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\x7fjunk", 16);
	} else if (left >= 4 && memcmp(f, "huge", 4) == 0) {
		put_u64(&out, (uint64_t)1 << 62);
	} else if (left >= 6 && memcmp(f, "counts", 6) == 0) {
		/* a success reply whose reference count is far beyond its bytes */
		put_u64(&out, 4 + 1 + 1 + 4);
		put_u32(&out, 0);
		buf_putc(&out, 0);
		buf_putc(&out, 0);
		put_u32(&out, 0x7fffffff);
	} else {
		buf_free(&out);
		return 0;
	}
	int r = write_full(fd, out.data, out.len);
	buf_free(&out);
	return r < 0 ? -1 : 1;
}

/* mutate_seed - "X-Tagd-Test-Fault: mutate N": the reply gets bytes
   flipped, chosen by N (tests only: the parent must survive any reply) */
static unsigned mutate_seed(const char *raw, size_t n)
{
	static const char mark[] = "X-Tagd-Test-Fault: mutate ";
	const char *f = memmem(raw, n, mark, sizeof(mark) - 1);
	if (f == NULL)
		return 0;
	unsigned v = 0;
	for (f += sizeof(mark) - 1; f < raw + n && *f >= '0' && *f <= '9'; f++)
		v = v * 10 + (unsigned)(*f - '0');
	return v ? v : 1;
}

/* mutate_reply - flip 1..8 bytes after the header, chosen by seed */
static void mutate_reply(struct buf *out, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	if (out->len <= 12)
		return;
	int flips = 1 + (int)(seed % 8);
	for (int i = 0; i < flips; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		size_t at = 12 + x % (out->len - 12);
		out->data[at] = (char)(out->data[at] ^ (char)(1 + (x >> 8) % 255));
	}
}

/* child_main - parse requests until the parent goes away */
static void __attribute__((noreturn)) child_main(int fd, const struct mail_limits *lim)
{
	int faults = getenv(FAULT_ENV) != NULL;
	for (;;) {
		unsigned char hdr[12];
		if (read_full(fd, hdr, sizeof(hdr)) < 0)
			_exit(0);
		uint64_t n = le64(hdr + 4);
		if (le32(hdr) != REQ_MAGIC || n > lim->max_size)
			_exit(2);
		char *raw = xmalloc((size_t)n + 1);
		if (read_full(fd, raw, (size_t)n) < 0)
			_exit(0);
		raw[n] = '\0';
		if (faults) {
			int fr = fault(fd, raw, (size_t)n);
			if (fr != 0)
				free(raw);
			if (fr < 0)
				_exit(0);
			if (fr == 2)
				abort();
			while (fr == 3)
				pause();
			if (fr == 1)
				continue;
		}
		unsigned mutate = faults ? mutate_seed(raw, (size_t)n) : 0;
		struct mail_msg *m = NULL;
		const char *error = NULL;
		int r = mail_parse(raw, (size_t)n, lim, &m, &error);
		free(raw);
		struct buf out;
		buf_init(&out, (size_t)-1 / 2);
		put_u32(&out, REP_MAGIC);
		put_u64(&out, 0);
		serialize(&out, r, error, m);
		mail_msg_free(&m);
		if (mutate)
			mutate_reply(&out, mutate);
		uint64_t plen = out.len - 12;
		for (int i = 0; i < 8; i++)
			out.data[4 + i] = (char)(plen >> (8 * i));
		if (write_full(fd, out.data, out.len) < 0)
			_exit(0);
		buf_free(&out);
	}
}

/* child_setup - a clean process: default signals, no other descriptors */
static void child_setup(int fd)
{
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		signal(sigs[i], SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (fd != CHILD_FD) {
		if (dup2(fd, CHILD_FD) < 0)
			_exit(3);
		close(fd);
	}
	if (close_range(CHILD_FD + 1, ~0U, 0) < 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long i = CHILD_FD + 1; i < (max > 0 && max < 65536 ? max : 65536); i++)
			close((int)i);
	}
}

/* ---------------------------------------------------------------- */
/* The parent */

/* spawn - a socket pair and a child serving it; -1 if none can be made */
static int spawn(struct mail_parser *p)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		child_setup(sv[1]);
		child_main(CHILD_FD, &p->lim);
	}
	close(sv[1]);
	int fl = fcntl(sv[0], F_GETFL);
	if (fl < 0 || fcntl(sv[0], F_SETFL, fl | O_NONBLOCK) < 0) {
		close(sv[0]);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -1;
	}
	p->fd = sv[0];
	p->pid = pid;
	return 0;
}

/* reap - end the child (killed if still running) and say how it ended */
static void reap(struct mail_parser *p, const char *why)
{
	int st = 0;
	pid_t r;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->pid <= 0)
		return;
	/* signal it only while it is still ours: once reaped (here, or by
	   a careless SIGCHLD handler elsewhere) its pid may be reused */
	while ((r = waitpid(p->pid, &st, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0) {
		kill(p->pid, SIGKILL);
		while ((r = waitpid(p->pid, &st, 0)) < 0 && errno == EINTR)
			;
	}
	if (why)
		snprintf(p->err, sizeof(p->err), "%s", why);
	else if (r == p->pid && WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
		snprintf(p->err, sizeof(p->err), "parser crashed: signal %d", WTERMSIG(st));
	else if (r == p->pid && WIFEXITED(st))
		snprintf(p->err, sizeof(p->err), "parser crashed: exit %d", WEXITSTATUS(st));
	else if (r == p->pid)
		snprintf(p->err, sizeof(p->err), "parser crashed: signal %d", WTERMSIG(st));
	else
		snprintf(p->err, sizeof(p->err), "parser crashed: child lost");
	p->pid = -1;
}

/* now_ms - a monotonic clock for deadlines (not the wall clock) */
static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum io { IO_OK, IO_DEAD, IO_TIMEOUT };

/* wait_fd - poll for ev until the deadline */
static enum io wait_fd(int fd, short ev, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return IO_TIMEOUT;
		struct pollfd pf = { fd, ev, 0 };
		int r = poll(&pf, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return IO_DEAD;
		if (r == 0)
			return IO_TIMEOUT;
		if (pf.revents & ev)
			return IO_OK;
		if (pf.revents & (POLLERR | POLLHUP | POLLNVAL))
			return IO_DEAD;
	}
}

/* reply_cap - the most a true reply can take: text, html and part data
   each at most a few times the message */
static size_t reply_cap(const struct mail_limits *lim)
{
	size_t m = lim->max_size;
	if (m > ((size_t)-1 - (1u << 20)) / 16)
		return (size_t)-1 / 2;
	return 16 * m + (1u << 20);
}

/* send_req - the request header and the message in one sendmsg where the
   socket buffer allows; MSG_NOSIGNAL: a dead child gives EPIPE, no signal */
static enum io send_req(int fd, const unsigned char *hdr, size_t hn, const char *raw, size_t n,
			int64_t deadline)
{
	struct iovec iov[2] = { { (void *)hdr, hn }, { (void *)raw, n } };
	int i = 0;
	while (i < 2) {
		if (iov[i].iov_len == 0) {
			i++;
			continue;
		}
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov + i;
		mh.msg_iovlen = (size_t)(2 - i);
		ssize_t r = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (r > 0) {
			size_t done = (size_t)r;
			while (i < 2 && done >= iov[i].iov_len) {
				done -= iov[i].iov_len;
				iov[i].iov_len = 0;
				i++;
			}
			if (i < 2) {
				iov[i].iov_base = (char *)iov[i].iov_base + done;
				iov[i].iov_len -= done;
			}
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			enum io w = wait_fd(fd, POLLOUT, deadline);
			if (w != IO_OK)
				return w;
			continue;
		}
		return IO_DEAD;
	}
	return IO_OK;
}

/* recv_reply - a whole reply into p->rbuf: *plen_r payload bytes after
   the 12-byte header; IO_OK, or how it failed (*bad_r for a malformed one) */
static enum io recv_reply(struct mail_parser *p, int64_t deadline, uint64_t *plen_r, int *bad_r)
{
	size_t have = 0, want = 12;
	int hdr_seen = 0;
	*bad_r = 0;
	if (p->rcap < 65536) {
		p->rcap = 65536;
		p->rbuf = xrealloc(p->rbuf, p->rcap);
	}
	for (;;) {
		enum io w = wait_fd(p->fd, POLLIN, deadline);
		if (w != IO_OK)
			return w;
		ssize_t r = recv(p->fd, p->rbuf + have, p->rcap - have, 0);
		if (r == 0)
			return IO_DEAD;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return IO_DEAD;
		}
		have += (size_t)r;
		if (have >= 12 && !hdr_seen) {
			hdr_seen = 1;
			const unsigned char *h = (const unsigned char *)p->rbuf;
			uint64_t plen = le64(h + 4);
			if (le32(h) != REP_MAGIC || plen > reply_cap(&p->lim)) {
				*bad_r = 1;
				return IO_DEAD;
			}
			*plen_r = plen;
			want = 12 + (size_t)plen;
			if (want + 1 > p->rcap) {
				p->rcap = want + 1;
				p->rbuf = xrealloc(p->rbuf, p->rcap);
			}
		}
		if (have > want) {
			/* more than one reply: the child is not following the protocol */
			*bad_r = 1;
			return IO_DEAD;
		}
		if (hdr_seen && have == want)
			return IO_OK;
		if (have == p->rcap) {
			p->rcap *= 2;
			p->rbuf = xrealloc(p->rbuf, p->rcap);
		}
	}
}

/* mail_parser_new - settings, then the first child at once */
struct mail_parser *mail_parser_new(const struct mail_limits *lim, int timeout_ms)
{
	struct mail_parser *p = xcalloc(1, sizeof(*p));
	if (lim)
		p->lim = *lim;
	else
		mail_limits_default(&p->lim);
	p->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
	p->pid = -1;
	p->fd = -1;
	if (spawn(p) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

int mail_parser_child_pid(const struct mail_parser *p)
{
	return p && p->pid > 0 ? (int)p->pid : -1;
}


/* req_header - the 12 bytes before a message: magic and length */
static void req_header(unsigned char hdr[12], size_t len)
{
	for (int i = 0; i < 4; i++)
		hdr[i] = (unsigned char)(REQ_MAGIC >> (8 * i));
	for (int i = 0; i < 8; i++)
		hdr[4 + i] = (unsigned char)((uint64_t)len >> (8 * i));
}

void mail_parser_send_ahead(struct mail_parser *p, const char *raw, size_t len)
{
	if (p->ahead || len > p->lim.max_size || len > AHEAD_MAX)
		return;
	if (p->pid <= 0 && spawn(p) < 0)
		return;
	unsigned char hdr[12];
	req_header(hdr, len);
	if (send_req(p->fd, hdr, sizeof(hdr), raw, len, now_ms() + p->timeout_ms) != IO_OK) {
		/* the child is gone or stuck: the next parse starts another */
		reap(p, NULL);
		return;
	}
	if (p->ahead_cap < len) {
		free(p->ahead_raw);
		p->ahead_cap = len < 65536 ? 65536 : len;
		p->ahead_raw = xmalloc(p->ahead_cap);
	}
	memcpy(p->ahead_raw, raw, len);
	p->ahead_len = len;
	p->ahead = 1;
}

int mail_parser_parse(struct mail_parser *p, const char *raw, size_t len,
		      struct mail_msg **msg_r, const char **error_r)
{
	const char *dummy;
	if (error_r == NULL)
		error_r = &dummy;
	*msg_r = NULL;
	int sent = 0;
	uint64_t plen = 0;
	int bad = 0;
	enum io io;
	if (p->ahead) {
		p->ahead = 0;
		if (len == p->ahead_len && memcmp(raw, p->ahead_raw, len) == 0) {
			sent = 1;
		} else {
			/* not the message sent ahead: its answer is read and dropped */
			io = recv_reply(p, now_ms() + p->timeout_ms, &plen, &bad);
			if (io != IO_OK)
				reap(p, NULL);
		}
		if (p->ahead_cap > AHEAD_MAX / 4) {
			free(p->ahead_raw);
			p->ahead_raw = NULL;
			p->ahead_cap = 0;
		}
	}
	if (len > p->lim.max_size) {
		*error_r = "message larger than the limit";
		return -1;
	}
	if (p->pid <= 0 && spawn(p) < 0) {
		*error_r = "parser crashed: cannot start a child";
		return -1;
	}
	int64_t deadline = now_ms() + p->timeout_ms;
	io = IO_OK;
	if (!sent) {
		unsigned char hdr[12];
		req_header(hdr, len);
		io = send_req(p->fd, hdr, sizeof(hdr), raw, len, deadline);
	}
	if (io == IO_OK)
		io = recv_reply(p, deadline, &plen, &bad);
	if (io != IO_OK) {
		reap(p, io == IO_TIMEOUT ? "parser timed out" :
			bad ? "parser crashed: malformed reply" : NULL);
		*error_r = p->err;
		return -1;
	}
	const char *payload = p->rbuf + 12;
	int failed = 0;
	struct mail_msg *m = NULL;
	int r = deserialize(payload, (size_t)plen, &p->lim, &m, p->err, sizeof(p->err), &failed);
	if (p->rcap > RBUF_KEEP) {
		free(p->rbuf);
		p->rbuf = NULL;
		p->rcap = 0;
	}
	if (r < 0) {
		reap(p, "parser crashed: malformed reply");
		*error_r = p->err;
		return -1;
	}
	if (failed) {
		*error_r = p->err;
		return -1;
	}
	*msg_r = m;
	return 0;
}

void mail_parser_free(struct mail_parser **pp)
{
	struct mail_parser *p = pp ? *pp : NULL;
	if (p == NULL)
		return;
	if (p->pid > 0) {
		/* closing our end makes the child exit; give it a moment */
		close(p->fd);
		p->fd = -1;
		int st;
		for (int i = 0; i < REAP_GRACE_MS; i++) {
			pid_t r = waitpid(p->pid, &st, WNOHANG);
			if (r == p->pid || (r < 0 && errno != EINTR)) {
				p->pid = -1;
				break;
			}
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
		if (p->pid > 0)
			reap(p, "closed");
	}
	if (p->fd >= 0)
		close(p->fd);
	free(p->rbuf);
	free(p->ahead_raw);
	free(p);
	*pp = NULL;
}
