#ifndef TAGD_NET_LMTP_H
#define TAGD_NET_LMTP_H
/* LMTP server (RFC 2033) on a TCP or UNIX socket, for an MTA (Postfix,
   Exim) that delivers the list address's mail straight to tagd.

   Non-blocking: many connections are served at once from the caller's
   poll() loop (lmtp_server_fds + poll + lmtp_server_handle), or from
   lmtp_server_run_once(). A slow or stalled client never blocks another;
   reads are bounded per wake-up, and a client that does not read its
   replies is not read from until it does.

   Dialogue: LHLO (PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME, SIZE),
   MAIL FROM (SIZE=, BODY=), RCPT TO (each checked by the rcpt callback),
   DATA, RSET, NOOP, VRFY (252), HELP, QUIT. After the data, the deliver
   callback runs once per accepted recipient, synchronously, and that
   recipient's reply (RFC 2033: one per recipient, in RCPT order) is
   queued only after it returns: 250 only once the message is committed.

   Replies: unknown command 500 5.5.2, bad syntax 501, bad sequence 503
   5.5.1, unknown parameter 555 5.5.4; unknown recipient 550 5.1.1;
   too many recipients 452 4.5.3; message over max_size 552 5.3.4 (at MAIL
   when SIZE= says so, else per recipient after the data); a data line
   over max_data_line 554 5.6.0 per recipient; verdicts LMTP_TEMPFAIL 451
   4.3.0, LMTP_NOSPACE 452 4.3.1, LMTP_REJECT 550 (5.1.1 at RCPT, 5.6.0
   after the data). More than max_errors protocol errors, an idle client,
   or one connection too many: 421 and close.

   Single-threaded: all calls, and the callbacks, run in the caller's
   thread. Times are monotonic (not the settable tagd clock). */
#include <poll.h>
#include <stddef.h>

#define LMTP_DEFAULT_MAX_SIZE ((size_t)32 << 20)
#define LMTP_DEFAULT_MAX_RCPTS 100
#define LMTP_DEFAULT_MAX_CONNS 64
#define LMTP_DEFAULT_IDLE_TIMEOUT_MS (300 * 1000) /* RFC 5321 4.5.3.2.7: 5 min */
#define LMTP_DEFAULT_MAX_ERRORS 10
#define LMTP_DEFAULT_MAX_DATA_LINE 65536   /* bytes with the line end; RFC says 1000 */
#define LMTP_MAX_COMMAND_LINE 2048         /* RFC 5321 says 512; room for parameters */
#define LMTP_MAX_ADDRESS 256               /* a path with its <> (RFC 5321 4.5.3.1.3) */
#define LMTP_REASON_MAX 256

enum lmtp_verdict {
	LMTP_OK,        /* RCPT: accepted; deliver: committed */
	LMTP_TEMPFAIL,  /* 451 4.3.0: try again later */
	LMTP_NOSPACE,   /* 452 4.3.1: the store cannot take it now */
	LMTP_REJECT,    /* 550: never (unknown recipient, refused message) */
};

/* lmtp_rcpt_fn - may rcpt (without <>) receive mail? */
typedef enum lmtp_verdict (*lmtp_rcpt_fn)(void *arg, const char *rcpt);

/* lmtp_deliver_fn - store one recipient's copy: data is the message as
   received after dot-unstuffing (len bytes, NUL-terminated for
   convenience), mail_from "" for the null sender. Return LMTP_OK only once
   it is committed. reason (reasonlen bytes, "" on entry) may get a short
   text for the reply: a queue id, or why it failed. */
typedef enum lmtp_verdict (*lmtp_deliver_fn)(void *arg, const char *mail_from, const char *rcpt,
					     const char *data, size_t len,
					     char *reason, size_t reasonlen);

/* the limits; a 0 field keeps its default */
struct lmtp_limits {
	size_t max_rcpts;       /* recipients per transaction */
	size_t max_conns;       /* connections at once */
	int idle_timeout_ms;    /* no byte from the client for this long: 421 */
	int max_errors;         /* protocol errors per connection before 421 */
	size_t max_data_line;   /* longest line in the data, with its line end */
	const char *hostname;   /* in the greeting and LHLO; default: gethostname() */
};

struct lmtp_server;

/* lmtp_server_new - listen on "HOST:PORT" ("127.0.0.1:2424", "[::1]:24",
   port 0 = any free one) or on a UNIX socket "/path" (a stale socket file
   is replaced; a live one or another kind of file is an error). listen
   NULL: no listener, clients only through lmtp_server_add_client.
   max_size 0 means LMTP_DEFAULT_MAX_SIZE. NULL with *error_r set on
   failure (the text lives until the next call). */
struct lmtp_server *lmtp_server_new(const char *listen, size_t max_size,
				    lmtp_rcpt_fn rcpt_fn, lmtp_deliver_fn deliver_fn, void *arg,
				    const char **error_r);

/* lmtp_server_set_limits - change the limits (applies to new transactions
   and connections) */
void lmtp_server_set_limits(struct lmtp_server *s, const struct lmtp_limits *l);

/* lmtp_server_address - "127.0.0.1:PORT" (the real port) or the socket path */
const char *lmtp_server_address(const struct lmtp_server *s);

/* lmtp_server_add_client - serve an already connected socket (made
   non-blocking here; the server owns it from now on). Over the connection
   limit it gets a 421 and is closed: -1. */
int lmtp_server_add_client(struct lmtp_server *s, int fd);

/* lmtp_server_max_fds - how many pollfds lmtp_server_fds may need */
size_t lmtp_server_max_fds(const struct lmtp_server *s);

/* lmtp_server_fds - fill at most max pollfds (events set, revents 0) and
   return how many; lowers *timeout_ms_r (-1 = infinite) to the next idle
   deadline. Pass those pollfds, after poll(), to lmtp_server_handle. */
size_t lmtp_server_fds(struct lmtp_server *s, struct pollfd *fds, size_t max, int *timeout_ms_r);

/* lmtp_server_handle - act on the revents of pollfds filled by
   lmtp_server_fds (accept, read, reply, deliver, write), then expire idle
   connections. Call it after every poll(), even one that timed out. */
void lmtp_server_handle(struct lmtp_server *s, const struct pollfd *fds, size_t n);

/* lmtp_server_run_once - one poll() of at most timeout_ms and the work it
   brings; 0, or -1 with errno when poll fails (not on EINTR) */
int lmtp_server_run_once(struct lmtp_server *s, int timeout_ms);

/* lmtp_server_connections - connections open now */
size_t lmtp_server_connections(const struct lmtp_server *s);

/* lmtp_server_free - close every connection with a 421 (transactions in
   progress are dropped: the client retries them) and the listener (a UNIX
   socket file is removed); sets *s to NULL */
void lmtp_server_free(struct lmtp_server **s);

#endif
