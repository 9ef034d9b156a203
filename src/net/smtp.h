#ifndef TAGD_NET_SMTP_H
#define TAGD_NET_SMTP_H
/* SMTP client to a smarthost, on libcurl (the only place libcurl is used).

   One client holds one curl easy handle and so at most one connection,
   reused from message to message while it has been idle less than
   max_idle_s. Each smtp_send() is one transaction with exactly one
   recipient (mail is personalised), so its result is that recipient's.

   Results carry their class: SMTP_SENT (2xx after the data),
   SMTP_TEMPFAIL (4xx, no reply, connection lost, timeout, TLS or AUTH
   trouble: retry later), SMTP_PERMFAIL (5xx to MAIL, RCPT, DATA or the
   data: do not retry). A transport failure after the whole message went
   out and before the final reply is TEMPFAIL with `ambiguous` set: the
   server may have taken it, so a retry may deliver a duplicate.

   A stalled peer is cut off after timeout_s without a reply (or under 1
   byte/s while the body goes out); an attempt never takes longer than
   connect_timeout_s + 3 * timeout_s + len / SMTP_MIN_RATE seconds (a
   second attempt follows only a reused connection found dead at once).

   Not thread safe: one client per thread. The password is handed to curl
   and never kept or logged by this module; AUTH exchanges are not logged. */
#include <stddef.h>

#define SMTP_DEFAULT_CONNECT_TIMEOUT_S 15
#define SMTP_DEFAULT_TIMEOUT_S 60
/* Postfix's smtpd drops idle clients after 10 s under stress (300 s
   otherwise); reuse only connections idle for less than that. */
#define SMTP_DEFAULT_MAX_IDLE_S 8
#define SMTP_MIN_RATE 8192      /* bytes/s a body may take at the slowest */
#define SMTP_MAX_ADDRESS 256    /* RFC 5321 4.5.3.1.3: a path, with <> */
#define SMTP_TEXT_MAX 512

struct smtp_config {
	const char *url;          /* smtp://host[:port] or smtps://host[:port]; an
				     optional /path is the EHLO name (helo wins) */
	int starttls;             /* smtp://: 0 none, 1 if offered, 2 required */
	const char *user;         /* AUTH when set (NULL: no AUTH) */
	const char *password;
	const char *ca_file;      /* PEM bundle to verify the server; NULL: system store */
	const char *helo;         /* EHLO name; NULL: curl's default */
	int connect_timeout_s;    /* TCP + TLS + greeting; 0: default */
	int timeout_s;            /* longest wait for a reply or for progress; 0: default */
	int max_idle_s;           /* reuse a connection idle at most this long; 0: default */
	int insecure_skip_verify; /* tests only: accept any certificate */
};

enum smtp_status { SMTP_SENT, SMTP_TEMPFAIL, SMTP_PERMFAIL };

struct smtp_result {
	enum smtp_status status;
	int code;             /* the SMTP reply code that decided it; 0 when none came */
	int ambiguous;        /* TEMPFAIL after the whole message went out: maybe delivered */
	int connects;         /* new connections this send opened (0: reused one) */
	char text[SMTP_TEXT_MAX]; /* the deciding server reply line, or curl's error */
};

struct smtp_client;

/* smtp_global_init - curl_global_init; call once at start, before threads.
   -1 (logged) when libcurl lacks SMTP or TLS support. */
int smtp_global_init(void);
void smtp_global_cleanup(void);

/* smtp_client_new - a client for cfg (the strings are copied; the
   password goes to curl at once). No connection is made yet. NULL, with
   the reason logged, for an unusable configuration. */
struct smtp_client *smtp_client_new(const struct smtp_config *cfg);

/* smtp_send - one transaction: MAIL FROM:<mail_from> (an empty string is
   the null sender), RCPT TO:<rcpt>, DATA with the len bytes of data (CRLF
   lines; curl adds the dot-stuffing and the final dot). Connects when no
   usable connection is open. A reused connection that turns out dead
   before anything was accepted is replaced once, at once. res is always
   filled. Returns 0 when sent, -1 otherwise. */
int smtp_send(struct smtp_client *c, const char *mail_from, const char *rcpt,
	      const char *data, size_t len, struct smtp_result *res);

/* smtp_client_close - close the connection (QUIT) now, e.g. before an
   idle period; the next smtp_send reconnects. */
void smtp_client_close(struct smtp_client *c);

/* smtp_client_free - QUIT, close and free; sets *c to NULL */
void smtp_client_free(struct smtp_client **c);

/* smtp_status_name - "sent", "tempfail", "permfail" */
const char *smtp_status_name(enum smtp_status s);

#endif
