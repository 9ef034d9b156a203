/* fuzz-lmtp - the input as the bytes an LMTP client sends, over a
   socketpair to a server whose callbacks accept (recipients with "bad",
   "full" or "later" in them get the other verdicts), then the client's end
   closed. Properties: every reply line is "DDD " or "DDD-" text CRLF and
   starts with 2, 3, 4 or 5; a delivered message is NUL-terminated at its
   length; the server closes the connection once the client has gone. */
#include "config.h"
#include "fuzz.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/lmtp.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ROUNDS 20000

static struct lmtp_server *srv;

static enum lmtp_verdict verdict_of(const char *rcpt)
{
	if (strstr(rcpt, "bad"))
		return LMTP_REJECT;
	if (strstr(rcpt, "full"))
		return LMTP_NOSPACE;
	if (strstr(rcpt, "later"))
		return LMTP_TEMPFAIL;
	return LMTP_OK;
}

static enum lmtp_verdict rcpt_cb(void *arg, const char *rcpt)
{
	(void)arg;
	fuzz_check(rcpt != NULL, "a recipient");
	return verdict_of(rcpt);
}

static enum lmtp_verdict deliver_cb(void *arg, const char *mail_from, const char *rcpt, const char *data,
				    size_t len, char *reason, size_t reasonlen)
{
	(void)arg;
	fuzz_check(mail_from != NULL && rcpt != NULL, "sender and recipient are given");
	fuzz_check(data[len] == '\0', "the data is NUL-terminated at its length");
	fuzz_check(reason[0] == '\0' && reasonlen > 0, "the reason starts empty");
	if (strstr(rcpt, "fail"))
		return LMTP_TEMPFAIL;
	return LMTP_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_quiet(1);
	signal(SIGPIPE, SIG_IGN);
	const char *err;
	srv = lmtp_server_new(NULL, 1 << 20, rcpt_cb, deliver_cb, NULL, &err);
	fuzz_check(srv != NULL, "an LMTP server without a listener");
	struct lmtp_limits lim;
	memset(&lim, 0, sizeof(lim));
	lim.max_rcpts = 5;
	lim.max_data_line = 2000;
	lim.hostname = "lmtp.tags.example.org";
	lmtp_server_set_limits(srv, &lim);
	return 0;
}

/* check_replies - whole lines in b must be replies; consume them */
static void check_replies(struct buf *b)
{
	size_t pos = 0;
	for (;;) {
		const char *line = b->data + pos;
		const char *nl = memchr(line, '\n', b->len - pos);
		if (nl == NULL)
			break;
		size_t n = (size_t)(nl - line);
		fuzz_check(n >= 4 && line[n - 1] == '\r', "a reply line is DDD text CRLF");
		fuzz_check(line[0] >= '2' && line[0] <= '5' && line[1] >= '0' && line[1] <= '9' &&
			   line[2] >= '0' && line[2] <= '9' && (line[3] == ' ' || line[3] == '-' || line[3] == '\r'),
			   "a reply line starts with a code");
		pos += n + 1;
	}
	if (pos) {
		memmove(b->data, b->data + pos, b->len - pos);
		buf_truncate(b, b->len - pos);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	fuzz_check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "a socketpair");
	int cfd = sv[1];
	fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) | O_NONBLOCK);
	fuzz_check(lmtp_server_add_client(srv, sv[0]) == 0, "the server takes the client");
	struct buf in = BUF_INIT;
	size_t off = 0;
	int shut = 0, closed = 0;
	char tmp[8192];
	for (int round = 0; round < MAX_ROUNDS && !closed; round++) {
		if (off < size) {
			ssize_t n = send(cfd, data + off, size - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				off = size; /* the server closed: nothing more goes */
		}
		if (off == size && !shut) {
			shutdown(cfd, SHUT_WR);
			shut = 1;
		}
		lmtp_server_run_once(srv, 0);
		for (;;) {
			ssize_t n = recv(cfd, tmp, sizeof(tmp), 0);
			if (n > 0) {
				buf_append(&in, tmp, (size_t)n);
				continue;
			}
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
				closed = 1;
			break;
		}
		check_replies(&in);
	}
	fuzz_check(closed, "the server closes the connection after the client has gone");
	close(cfd);
	for (int i = 0; i < 10 && lmtp_server_connections(srv) > 0; i++)
		lmtp_server_run_once(srv, 0);
	fuzz_check(lmtp_server_connections(srv) == 0, "no connection is left open");
	buf_free(&in);
	return 0;
}
