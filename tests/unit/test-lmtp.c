/* test-lmtp - the LMTP server's protocol over socketpairs: scripted
   dialogues (sequence, syntax, limits), one reply per recipient after the
   data, dot-unstuffing, pipelining, slow and non-reading clients, idle
   timeout, connection limit, listen errors. */
#include "config.h"
#include "net/lmtp.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "tap.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_DELIVERIES 64
#define REPLY_WAIT_ROUNDS 300   /* x 10 ms: 3 s at most per reply */

struct delivery {
	char *from, *rcpt;
	char *data;
	size_t len;
};

static struct delivery deliveries[MAX_DELIVERIES];
static int ndeliveries;
static struct lmtp_server *srv;

/* rcpt_cb - unknown@ refused, busy@ deferred, the rest taken */
static enum lmtp_verdict rcpt_cb(void *arg, const char *rcpt)
{
	(void)arg;
	if (str_istarts(rcpt, "unknown@"))
		return LMTP_REJECT;
	if (str_istarts(rcpt, "busy@"))
		return LMTP_TEMPFAIL;
	return LMTP_OK;
}

/* deliver_cb - full@ no space, tempfail@ 451, reject@ 550, the rest kept */
static enum lmtp_verdict deliver_cb(void *arg, const char *from, const char *rcpt,
				    const char *data, size_t len, char *reason, size_t reasonlen)
{
	(void)arg;
	if (str_istarts(rcpt, "full@"))
		return LMTP_NOSPACE;
	if (str_istarts(rcpt, "tempfail@")) {
		snprintf(reason, reasonlen, "database\r\nlocked");  /* must come out on one line */
		return LMTP_TEMPFAIL;
	}
	if (str_istarts(rcpt, "reject@"))
		return LMTP_REJECT;
	if (ndeliveries >= MAX_DELIVERIES)
		return LMTP_NOSPACE;
	struct delivery *d = &deliveries[ndeliveries++];
	d->from = xstrdup(from);
	d->rcpt = xstrdup(rcpt);
	d->data = xmemdup0(data, len);
	d->len = len;
	snprintf(reason, reasonlen, "id%d", ndeliveries);
	return LMTP_OK;
}

static void clear_deliveries(void)
{
	for (int i = 0; i < ndeliveries; i++) {
		free(deliveries[i].from);
		free(deliveries[i].rcpt);
		free(deliveries[i].data);
	}
	ndeliveries = 0;
}

/* ---- a scripted client ---------------------------------------------------- */

struct client {
	int fd;
	struct buf in;
	int closed;
};

static struct client *client_new(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return NULL;
	struct client *c = xcalloc(1, sizeof(*c));
	c->fd = sv[1];
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	buf_init(&c->in, 0);
	if (lmtp_server_add_client(srv, sv[0]) < 0)
		c->closed = 0;  /* the 421 is still to be read */
	return c;
}

static void client_free(struct client **cp)
{
	struct client *c = *cp;
	close(c->fd);
	buf_free(&c->in);
	free(c);
	*cp = NULL;
}

/* pump - one server round, then take what the client can read */
static void pump(struct client *c)
{
	char tmp[8192];
	lmtp_server_run_once(srv, 10);
	for (;;) {
		ssize_t n = read(c->fd, tmp, sizeof(tmp));
		if (n > 0) {
			buf_append(&c->in, tmp, (size_t)n);
			continue;
		}
		if (n == 0)
			c->closed = 1;
		break;
	}
}

/* client_send - write all of s (len bytes), running the server meanwhile */
static void client_send_n(struct client *c, const char *s, size_t len)
{
	size_t off = 0;
	for (int round = 0; off < len && round < 2000; round++) {
		ssize_t n = write(c->fd, s + off, len - off);
		if (n > 0)
			off += (size_t)n;
		else
			pump(c);
	}
	pump(c);
}

static void client_send(struct client *c, const char *s)
{
	client_send_n(c, s, strlen(s));
}

/* reply_end - length of the first complete reply in b (0: none yet) */
static size_t reply_end(const struct buf *b)
{
	size_t pos = 0;
	while (pos < b->len) {
		const char *line = b->data + pos;
		const char *nl = memchr(line, '\n', b->len - pos);
		if (!nl)
			return 0;
		size_t n = (size_t)(nl - line) + 1;
		pos += n;
		if (n < 5 || line[3] != '-')
			return pos;
	}
	return 0;
}

/* get_reply - the next whole reply (lines joined with \n, no CR), or
   "(none)" / "(closed)"; static storage */
static const char *get_reply(struct client *c)
{
	static char out[8192];
	size_t end = 0;
	for (int i = 0; i < REPLY_WAIT_ROUNDS && (end = reply_end(&c->in)) == 0 && !c->closed; i++)
		pump(c);
	if (end == 0)
		end = reply_end(&c->in);
	if (end == 0)
		return c->closed ? "(closed)" : "(none)";
	size_t o = 0;
	for (size_t i = 0; i < end && o + 1 < sizeof(out); i++)
		if (c->in.data[i] != '\r')
			out[o++] = c->in.data[i];
	if (o > 0 && out[o - 1] == '\n')
		o--;
	out[o] = '\0';
	memmove(c->in.data, c->in.data + end, c->in.len - end);
	buf_truncate(&c->in, c->in.len - end);
	return out;
}

/* last_line - the last line of a reply */
static const char *last_line(const char *r)
{
	const char *nl = strrchr(r, '\n');
	return nl ? nl + 1 : r;
}

/* expect - the next reply's last line starts with want */
static int expect(struct client *c, const char *want, const char *what)
{
	const char *r = get_reply(c);
	int good = str_starts(last_line(r), want);
	ok(good, "%s: %s", what, want);
	if (!good)
		diag("got \"%s\"", r);
	return good;
}

/* wait_closed - the server closes the connection within 3 s */
static int wait_closed(struct client *c)
{
	for (int i = 0; i < REPLY_WAIT_ROUNDS && !c->closed; i++)
		pump(c);
	return c->closed;
}

/* ---- scripted dialogues ---------------------------------------------------- */

struct step {
	const char *send;    /* NULL: nothing to send */
	const char *expect;  /* the reply's last line starts with this */
};

struct script {
	const char *name;
	struct step steps[24];
	int ends_closed;
};

static const struct script scripts[] = {
	{ "bad sequence", {
		{ NULL, "220 " },
		{ "MAIL FROM:<a@x.test>\r\n", "503 5.5.1" },
		{ "RCPT TO:<a@x.test>\r\n", "503 5.5.1" },
		{ "DATA\r\n", "503 5.5.1" },
		{ "LHLO client.test\r\n", "250 SIZE" },
		{ "RCPT TO:<a@x.test>\r\n", "503 5.5.1" },
		{ "MAIL FROM:<a@x.test>\r\n", "250 2.1.0" },
		{ "MAIL FROM:<a@x.test>\r\n", "503 5.5.1" },
		{ "DATA\r\n", "503 5.5.1" },
		{ "RCPT TO:<unknown@x.test>\r\n", "550 5.1.1 <unknown@x.test>" },
		{ "DATA\r\n", "503 5.5.1" },
		{ "RCPT TO:<busy@x.test>\r\n", "451 4.3.0" },
		{ "RSET\r\n", "250 2.0.0" },
		{ "RCPT TO:<a@x.test>\r\n", "503 5.5.1" },
		{ "X\r\n", "500 5.5.2" },
		{ "X\r\n", "500 5.5.2" },
		{ "X\r\n", "500 5.5.2" },         /* the 11th error (limit 10) */
		{ NULL, "421 4.7.0" },
	}, 1 },
	{ "commands", {
		{ NULL, "220 " },
		{ "NOOP\r\n", "250 2.0.0" },
		{ "VRFY someone\r\n", "252 2.5.2" },
		{ "HELP\r\n", "214 " },
		{ "FROB\r\n", "500 5.5.2" },
		{ "HELO client.test\r\n", "500 5.5.1" },
		{ "EHLO client.test\r\n", "500 5.5.1" },
		{ "LHLO\r\n", "501 5.5.4" },
		{ "lhlo client.test\r\n", "250 SIZE" },
		{ "mail from:<a@x.test>\r\n", "250 2.1.0" },
		{ "rset\r\n", "250 2.0.0" },
		{ "QUIT\r\n", "221 2.0.0" },
	}, 1 },
	{ "syntax", {
		{ NULL, "220 " },
		{ "LHLO client.test\r\n", "250 SIZE" },
		{ "MAIL TO:<a@x.test>\r\n", "501 5.5.4" },
		{ "MAIL FROM:a@x.test SIZE=abc\r\n", "501 5.5.4" },
		{ "MAIL FROM:<a@x.test> FOO=1\r\n", "555 5.5.4" },
		{ "MAIL FROM:<a@x.test> BODY=BINARYMIME\r\n", "555 5.5.4" },
		{ "MAIL FROM:<a@x.test> SIZE=1000001\r\n", "552 5.3.4" },
		{ "MAIL FROM:<a@x.test\r\n", "501 5.1.7" },
		{ "MAIL FROM:<> SIZE=1000 BODY=8BITMIME\r\n", "250 2.1.0" },
		{ "RCPT TO:<>\r\n", "501 5.1.3" },
		{ "RCPT TO:<a@x.test> NOTIFY=NEVER\r\n", "555 5.5.4" },
		{ "RCPT TO:<a b@x.test>\r\n", "501 5.1.3" },
		{ "DATA now\r\n", "501 5.5.4" },
		{ "QUIT\r\n", "221 2.0.0" },
	}, 1 },
};

static void run_script(const struct script *sc)
{
	struct client *c = client_new();
	int good = 1;
	for (size_t i = 0; i < sizeof(sc->steps) / sizeof(sc->steps[0]) && sc->steps[i].expect; i++) {
		if (sc->steps[i].send)
			client_send(c, sc->steps[i].send);
		good &= expect(c, sc->steps[i].expect, sc->name);
	}
	if (sc->ends_closed)
		ok(wait_closed(c), "%s: the server closed the connection", sc->name);
	client_free(&c);
	(void)good;
}

/* ---- the rest ------------------------------------------------------------ */

/* open_tx - greeting, LHLO, MAIL and the given recipients (accepted) */
static struct client *open_tx(const char *from, const char *const *rcpts, size_t n)
{
	struct client *c = client_new();
	get_reply(c);
	client_send(c, "LHLO client.test\r\n");
	get_reply(c);
	char line[512];
	snprintf(line, sizeof(line), "MAIL FROM:<%s>\r\n", from);
	client_send(c, line);
	get_reply(c);
	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "RCPT TO:<%s>\r\n", rcpts[i]);
		client_send(c, line);
		get_reply(c);
	}
	return c;
}

static void test_lhlo(void)
{
	struct client *c = client_new();
	is_str(get_reply(c), "220 lmtp.test LMTP tagd ready", "greeting names the host");
	client_send(c, "LHLO client.test\r\n");
	is_str(get_reply(c), "250-lmtp.test\n250-PIPELINING\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250 SIZE 1000000",
	       "LHLO advertises PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME, SIZE");
	client_free(&c);
}

static void test_per_recipient(void)
{
	static const char *const rcpts[] = { "a@x.test", "full@x.test", "tempfail@x.test", "reject@x.test", "b@x.test" };
	clear_deliveries();
	struct client *c = open_tx("sender@y.test", rcpts, 5);
	client_send(c, "DATA\r\n");
	expect(c, "354 ", "DATA");
	client_send(c, "Subject: dots\r\n\r\n..one dot\r\n...two dots\r\n.\r\n");
	expect(c, "250 2.0.0 <a@x.test> id1", "1st recipient: committed, reason shown");
	expect(c, "452 4.3.1 <full@x.test>", "2nd recipient: store full");
	expect(c, "451 4.3.0 <tempfail@x.test> database  locked", "3rd recipient: temporary, reason on one line");
	expect(c, "550 5.6.0 <reject@x.test>", "4th recipient: refused");
	expect(c, "250 2.0.0 <b@x.test> id2", "5th recipient: committed");
	is_int(ndeliveries, 2, "two deliveries made");
	const char *want = "Subject: dots\r\n\r\n.one dot\r\n..two dots\r\n";
	ok(ndeliveries == 2 && deliveries[0].len == strlen(want) && memcmp(deliveries[0].data, want, strlen(want)) == 0,
	   "dot-unstuffed data equals what was meant");
	ok(ndeliveries == 2 && str_eq(deliveries[0].from, "sender@y.test") && str_eq(deliveries[1].rcpt, "b@x.test"),
	   "envelope given to the callback");
	/* the transaction is over; a new one works on the same connection */
	client_send(c, "MAIL FROM:<>\r\nRCPT TO:<c@x.test>\r\nDATA\r\n");
	expect(c, "250 2.1.0", "next transaction: MAIL (null sender)");
	expect(c, "250 2.1.5", "next transaction: RCPT");
	expect(c, "354 ", "next transaction: DATA");
	client_send(c, ".\r\n");
	expect(c, "250 2.0.0 <c@x.test>", "an empty message is delivered");
	ok(ndeliveries == 3 && deliveries[2].len == 0 && str_eq(deliveries[2].from, ""), "empty body, null sender");
	client_free(&c);
}

static void test_pipelining(void)
{
	clear_deliveries();
	struct client *c = client_new();
	get_reply(c);
	client_send(c, "LHLO client.test\r\nMAIL FROM:<s@y.test>\r\nRCPT TO:<a@x.test>\r\n"
		    "RCPT TO:<unknown@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n");
	expect(c, "250 SIZE", "pipelined LHLO");
	expect(c, "250 2.1.0", "pipelined MAIL");
	expect(c, "250 2.1.5", "pipelined RCPT a");
	expect(c, "550 5.1.1", "pipelined RCPT unknown");
	expect(c, "250 2.1.5", "pipelined RCPT b");
	expect(c, "354 ", "pipelined DATA");
	client_send(c, "Hello\r\n.\r\nQUIT\r\n");
	expect(c, "250 2.0.0 <a@x.test>", "reply for a");
	expect(c, "250 2.0.0 <b@x.test>", "reply for b (none for the refused one)");
	expect(c, "221 ", "QUIT pipelined after the data");
	ok(wait_closed(c), "closed after QUIT");
	is_int(ndeliveries, 2, "two deliveries");
	client_free(&c);
}

static void test_long_lines(void)
{
	struct client *c = client_new();
	get_reply(c);
	struct buf b = BUF_INIT;
	for (int i = 0; i < 3000; i++)
		buf_putc(&b, 'A');
	buf_puts(&b, "\r\n");
	client_send(c, b.data);
	expect(c, "500 5.5.2", "a 3000-byte command line");
	buf_reset(&b);
	buf_puts(&b, "NOOP ");
	for (int i = 0; i < 100000; i++)
		buf_putc(&b, 'B');
	client_send(c, b.data);  /* no line end yet: dropped as it comes */
	client_send(c, "\r\nNOOP\r\n");
	expect(c, "500 5.5.2", "a 100 kB command line, sent in pieces: one error");
	expect(c, "250 2.0.0", "the next command works");

	/* data lines: a long one starting with a dot, split over reads */
	clear_deliveries();
	client_send(c, "LHLO c\r\n");
	get_reply(c);
	client_send(c, "MAIL FROM:<s@y.test>\r\nRCPT TO:<a@x.test>\r\nDATA\r\n");
	get_reply(c);
	get_reply(c);
	expect(c, "354", "DATA for a long line");
	buf_reset(&b);
	buf_putc(&b, '.');
	for (int i = 0; i < 20000; i++)
		buf_putc(&b, (char)('a' + i % 26));
	buf_puts(&b, "\r\n.");
	client_send(c, b.data);
	client_send(c, "\r\n");
	expect(c, "250 2.0.0", "a 20 kB data line (under the limit) is delivered");
	ok(ndeliveries == 1 && deliveries[0].len == 20002 && deliveries[0].data[0] == 'a',
	   "its leading dot removed even though it came in pieces");

	struct lmtp_limits lim = { .max_data_line = 1000 };
	lmtp_server_set_limits(srv, &lim);
	client_send(c, "MAIL FROM:<s@y.test>\r\nRCPT TO:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n");
	get_reply(c);
	get_reply(c);
	get_reply(c);
	expect(c, "354", "DATA with a line over max_data_line");
	buf_reset(&b);
	for (int i = 0; i < 1500; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\r\nshort\r\n.\r\n");
	client_send(c, b.data);
	expect(c, "554 5.6.0 <a@x.test>", "line too long: refused for a");
	expect(c, "554 5.6.0 <b@x.test>", "... and for b");
	is_int(ndeliveries, 1, "nothing delivered");
	lim.max_data_line = LMTP_DEFAULT_MAX_DATA_LINE;
	lmtp_server_set_limits(srv, &lim);
	buf_free(&b);
	client_free(&c);
}

static void test_size_limit(void)
{
	static const char *const rcpts[] = { "a@x.test", "b@x.test" };
	clear_deliveries();
	struct client *c = open_tx("s@y.test", rcpts, 2);
	client_send(c, "DATA\r\n");
	expect(c, "354", "DATA of an oversized message");
	struct buf b = BUF_INIT;
	while (b.len < 1200000)
		buf_puts(&b, "0123456789012345678901234567890123456789012345678901234567890123456789\r\n");
	buf_puts(&b, ".\r\n");
	client_send_n(c, b.data, b.len);
	expect(c, "552 5.3.4 <a@x.test>", "over max_size: 552 for a");
	expect(c, "552 5.3.4 <b@x.test>", "... and for b");
	is_int(ndeliveries, 0, "nothing delivered");
	client_send(c, "MAIL FROM:<s@y.test>\r\nRCPT TO:<a@x.test>\r\nDATA\r\nsmall\r\n.\r\n");
	get_reply(c);
	get_reply(c);
	get_reply(c);
	expect(c, "250 2.0.0", "the connection goes on: a small message is delivered");
	buf_free(&b);
	client_free(&c);
}

static void test_bare_lf_and_nul(void)
{
	static const char *const rcpts[] = { "a@x.test" };
	clear_deliveries();
	struct client *c = open_tx("s@y.test", rcpts, 1);
	client_send(c, "DATA\r\n");
	get_reply(c);
	client_send_n(c, "a\0b\nc\r\n..\n.\n", 12);
	expect(c, "250 2.0.0", "bare LF lines and a NUL byte: delivered");
	ok(ndeliveries == 1 && deliveries[0].len == 9 && memcmp(deliveries[0].data, "a\0b\nc\r\n.\n", 9) == 0,
	   "stored as received (\".\\n\" ends the data)");
	client_free(&c);
}

static void test_rcpt_limit(void)
{
	struct lmtp_limits lim = { .max_rcpts = 3 };
	lmtp_server_set_limits(srv, &lim);
	static const char *const rcpts[] = { "a@x.test", "b@x.test", "c@x.test" };
	struct client *c = open_tx("s@y.test", rcpts, 3);
	client_send(c, "RCPT TO:<d@x.test>\r\n");
	expect(c, "452 4.5.3", "the 4th recipient over a limit of 3");
	client_free(&c);
	lim.max_rcpts = LMTP_DEFAULT_MAX_RCPTS;
	lmtp_server_set_limits(srv, &lim);
}

static void test_errors_limit(void)
{
	struct lmtp_limits lim = { .max_errors = 3 };
	lmtp_server_set_limits(srv, &lim);
	struct client *c = client_new();
	get_reply(c);
	client_send(c, "X1\r\nX2\r\nX3\r\nX4\r\nNOOP\r\n");
	expect(c, "500", "error 1");
	expect(c, "500", "error 2");
	expect(c, "500", "error 3");
	const char *r = get_reply(c);
	ok(str_starts(r, "500") , "error 4 answered");
	r = get_reply(c);
	ok(str_starts(r, "421 4.7.0"), "then 421: too many errors");
	ok(wait_closed(c), "and closed (the NOOP after it ignored)");
	client_free(&c);
	lim.max_errors = LMTP_DEFAULT_MAX_ERRORS;
	lmtp_server_set_limits(srv, &lim);
}

static void test_slow_and_fast(void)
{
	static const char *const rcpts[] = { "slow@x.test" };
	clear_deliveries();
	struct client *slow = open_tx("s@y.test", rcpts, 1);
	client_send(slow, "DATA\r\n");
	expect(slow, "354", "slow client in DATA");
	const char *part = "Subject: slow\r\n\r\n.a line\r\nmore\r\n";
	/* the slow one sends a byte per round; a fast one does a whole
	   transaction meanwhile */
	for (size_t i = 0; i < 10; i++)
		client_send_n(slow, part + i, 1);
	struct client *fast = client_new();
	get_reply(fast);
	client_send(fast, "LHLO f\r\nMAIL FROM:<f@y.test>\r\nRCPT TO:<fast@x.test>\r\nDATA\r\n");
	get_reply(fast);
	get_reply(fast);
	get_reply(fast);
	expect(fast, "354", "fast client in DATA while the slow one is mid-message");
	client_send(fast, "quick\r\n.\r\n");
	expect(fast, "250 2.0.0 <fast@x.test>", "fast client delivered first");
	for (size_t i = 10; part[i]; i++)
		client_send_n(slow, part + i, 1);
	client_send_n(slow, ".", 1);
	client_send_n(slow, "\r", 1);
	ok(ndeliveries == 1, "slow message not finished at \".\\r\"");
	client_send_n(slow, "\n", 1);
	expect(slow, "250 2.0.0 <slow@x.test>", "slow client delivered, byte by byte");
	ok(ndeliveries == 2 && str_eq(deliveries[1].data, "Subject: slow\r\n\r\na line\r\nmore\r\n"),
	   "slow message intact and unstuffed");
	client_free(&fast);
	client_free(&slow);
}

static void test_not_reading(void)
{
	/* a client that pipelines 20000 NOOPs without reading: the server
	   stops reading it while replies pile up, and loses nothing */
	struct client *c = client_new();
	get_reply(c);
	struct buf b = BUF_INIT;
	for (int i = 0; i < 20000; i++)
		buf_puts(&b, "NOOP\r\n");
	size_t off = 0;
	int replies = 0;
	char tmp[65536];
	for (int round = 0; round < 20000 && (off < b.len || replies < 20000); round++) {
		if (off < b.len) {
			ssize_t n = write(c->fd, b.data + off, b.len - off);
			if (n > 0)
				off += (size_t)n;
		}
		lmtp_server_run_once(srv, 1);
		if (round % 4 == 3) {  /* read only now and then */
			ssize_t n = read(c->fd, tmp, sizeof(tmp));
			for (ssize_t i = 0; i < n; i++)
				replies += tmp[i] == '\n';
		}
	}
	is_int(replies, 20000, "20000 pipelined NOOPs, read slowly: 20000 replies");
	buf_free(&b);
	client_free(&c);
}

static void test_eof_mid_data(void)
{
	static const char *const rcpts[] = { "a@x.test" };
	clear_deliveries();
	size_t before = lmtp_server_connections(srv);
	struct client *c = open_tx("s@y.test", rcpts, 1);
	client_send(c, "DATA\r\n");
	get_reply(c);
	client_send(c, "half a message\r\n");
	close(c->fd);
	c->fd = -1;
	for (int i = 0; i < 20 && lmtp_server_connections(srv) > before; i++)
		lmtp_server_run_once(srv, 10);
	is_int(lmtp_server_connections(srv), before, "client gone mid-DATA: connection closed");
	is_int(ndeliveries, 0, "and nothing delivered");
	buf_free(&c->in);
	free(c);
}

/* drain - let the server notice every client already gone */
static void drain(void)
{
	for (int i = 0; i < 50 && lmtp_server_connections(srv) > 0; i++)
		lmtp_server_run_once(srv, 10);
}

static void test_idle_and_conn_limit(void)
{
	drain();
	struct lmtp_limits lim = { .idle_timeout_ms = 150, .max_conns = 2 };
	lmtp_server_set_limits(srv, &lim);
	struct client *a = client_new(), *b = client_new();
	get_reply(a);
	get_reply(b);
	struct client *c = client_new();
	expect(c, "421 4.3.2", "a third connection over a limit of 2");
	ok(wait_closed(c), "and closed");
	client_free(&c);
	client_send(b, "NOOP\r\n");
	expect(b, "250", "an active client");
	expect(a, "421 4.4.2", "an idle client gets 421 after the idle timeout");
	ok(wait_closed(a), "and is closed");
	client_free(&a);
	client_free(&b);
	lim.idle_timeout_ms = LMTP_DEFAULT_IDLE_TIMEOUT_MS;
	lim.max_conns = LMTP_DEFAULT_MAX_CONNS;
	lmtp_server_set_limits(srv, &lim);
	drain();
	is_int(lmtp_server_connections(srv), 0, "no connection left open");
}

static void test_fds_api(void)
{
	/* the daemon's way: fds + its own poll + handle */
	struct client *c = client_new();
	expect(c, "220 ", "greeting");
	struct pollfd fds[8];
	int timeout = -1;
	size_t n = lmtp_server_fds(srv, fds, 8, &timeout);
	is_int(n, 1, "one pollfd for one connection (no listener)");
	ok(timeout > 0 && timeout <= LMTP_DEFAULT_IDLE_TIMEOUT_MS, "timeout lowered to the idle deadline");
	if (write(c->fd, "NOOP\r\n", 6) != 6)
		diag("write failed");
	poll(fds, n, 1000);
	lmtp_server_handle(srv, fds, n);
	struct pollfd cp = { .fd = c->fd, .events = POLLIN };
	char tmp[64] = "";
	ssize_t got = poll(&cp, 1, 1000) == 1 ? read(c->fd, tmp, sizeof(tmp) - 1) : -1;
	if (got > 0)
		tmp[got] = '\0';
	ok(str_starts(tmp, "250 2.0.0"), "NOOP answered through fds/poll/handle");
	client_free(&c);
	drain();
}

static void test_listen_errors(void)
{
	const char *err = NULL;
	struct lmtp_server *s = lmtp_server_new("nocolon", 0, rcpt_cb, deliver_cb, NULL, &err);
	ok(!s && err && strstr(err, "HOST:PORT"), "bad listen address refused: %s", err ? err : "");
	s = lmtp_server_new("127.0.0.1:99999", 0, rcpt_cb, deliver_cb, NULL, &err);
	ok(!s && err, "bad port refused: %s", err ? err : "");
	char path[] = "/tmp/test-lmtp-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	s = lmtp_server_new(path, 0, rcpt_cb, deliver_cb, NULL, &err);
	ok(!s && err && strstr(err, "not a socket"), "a regular file is not replaced: %s", err ? err : "");
	unlink(path);
	s = lmtp_server_new(path, 0, rcpt_cb, deliver_cb, NULL, &err);
	ok(s != NULL, "a UNIX socket");
	struct stat st;
	ok(s && stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "the socket file exists");
	struct lmtp_server *s2 = lmtp_server_new(path, 0, rcpt_cb, deliver_cb, NULL, &err);
	ok(!s2 && err && strstr(err, "another server"), "a live socket is not taken over: %s", err ? err : "");
	lmtp_server_free(&s);
	ok(s == NULL && stat(path, &st) < 0, "freed: the socket file removed");
	s = lmtp_server_new("127.0.0.1:0", 0, rcpt_cb, deliver_cb, NULL, &err);
	ok(s && str_starts(lmtp_server_address(s), "127.0.0.1:") && !str_ends(lmtp_server_address(s), ":0"),
	   "port 0: the real port reported (%s)", s ? lmtp_server_address(s) : "");
	lmtp_server_free(&s);
}

static void test_shutdown(void)
{
	const char *err = NULL;
	struct lmtp_server *keep = srv;
	srv = lmtp_server_new(NULL, 0, rcpt_cb, deliver_cb, NULL, &err);
	struct client *c = client_new();
	expect(c, "220 ", "second server: greeting");
	client_send(c, "LHLO c\r\nMAIL FROM:<s@y.test>\r\n");
	get_reply(c);
	get_reply(c);
	lmtp_server_free(&srv);
	srv = keep;
	char tmp[256] = "";
	ssize_t n = read(c->fd, tmp, sizeof(tmp) - 1);
	if (n > 0)
		tmp[n] = '\0';
	ok(str_starts(tmp, "421 4.3.2"), "server freed mid-transaction: the client gets 421 4.3.2");
	ok(read(c->fd, tmp, sizeof(tmp)) == 0, "and the connection is closed");
	client_free(&c);
}

int main(void)
{
	const char *err = NULL;
	signal(SIGPIPE, SIG_IGN);  /* a write to a client the server closed */
	log_open("test-lmtp", 0);
	log_set_quiet(1);
	srv = lmtp_server_new(NULL, 1000000, rcpt_cb, deliver_cb, NULL, &err);
	if (!ok(srv != NULL, "server without a listener"))
		return done_testing();
	struct lmtp_limits lim = { .hostname = "lmtp.test" };
	lmtp_server_set_limits(srv, &lim);

	test_lhlo();
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
		run_script(&scripts[i]);
	test_per_recipient();
	test_pipelining();
	test_long_lines();
	test_size_limit();
	test_bare_lf_and_nul();
	test_rcpt_limit();
	test_errors_limit();
	test_slow_and_fast();
	test_not_reading();
	test_eof_mid_data();
	test_idle_and_conn_limit();
	test_fds_api();
	test_listen_errors();
	test_shutdown();

	drain();
	lmtp_server_free(&srv);
	clear_deliveries();
	return done_testing();
}
