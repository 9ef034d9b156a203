#ifndef TAGD_NET_IMAP_H
#define TAGD_NET_IMAP_H
/* IMAP poller, on libetpan (with net/tlscheck for certificates).

   One poller watches one mailbox of one account and hands each new message
   to the caller exactly once in effect (DEPENDENCIES.md §4): it fetches
   BODY.PEEK[] of the UIDs above the last one taken, calls deliver() for each
   in UID order, and only after deliver() said the message and the new last
   UID are committed does it mark the message \Seen (and MOVE it, when a
   folder is set). A crash between the commit and the flag only leaves the
   message unflagged: at the next connection every message at or below the
   last UID that is still unseen (or, with a move folder, still there) is
   flagged and moved then. A changed UIDVALIDITY is reported and the mailbox
   is read again from UID 1; the caller dedupes (Message-ID + hash).

   TLS: IMAPS or STARTTLS; the server's chain is verified with GnuTLS
   against the system store or ca_file, host name included, BEFORE any
   password is sent. A failed check is the error "certificate verification
   failed: <reason>" and no login happens.

   Waiting: IMAP IDLE when the server has it (re-issued within 25 min),
   else a poll every poll_interval_s. A lost connection is retried with
   exponential backoff (1 s doubling to 5 min, +-20% jitter), and so is a
   refused SELECT (a mailbox deleted, to be recreated); a permanent error
   (login refused, certificate) is logged and retried at 5 min.

   Threads and signals: a poller is used by one thread at a time, except
   imap_poller_interrupt() and imap_poller_status(), which any thread may
   call; imap_poller_interrupt() is also async-signal-safe. libetpan or
   GnuTLS may write to a socket the server closed: the program must ignore
   SIGPIPE. */
#include <stdint.h>
#include <stddef.h>
#include <time.h>

#define IMAP_DEFAULT_TIMEOUT_S 30        /* connect and each reply */
#define IMAP_DEFAULT_POLL_INTERVAL_S 60  /* without IDLE */
#define IMAP_IDLE_MAX_S (25 * 60)        /* RFC 2177: re-IDLE within 29 min */
#define IMAP_BACKOFF_MIN_MS 1000
#define IMAP_BACKOFF_MAX_MS (5 * 60 * 1000)
#define IMAP_BATCH_MESSAGES 100          /* bodies per UID FETCH */
#define IMAP_BATCH_BYTES ((size_t)32 << 20) /* RFC822.SIZE sum per UID FETCH */
#define IMAP_MAX_MESSAGE_BYTES ((size_t)50 << 20) /* larger ones are left alone, flagged */
#define IMAP_MAX_NEW_PER_FETCH 100000    /* UIDs listed per fetch round */
#define IMAP_SKIP_KEYWORD "$TagdTooBig"  /* set with \Flagged on a message left alone */

struct imap_config {
	const char *host;
	int port;             /* 0: 993 for IMAPS, else 143 */
	int tls;              /* 0 plain (tests only), 1 STARTTLS, 2 IMAPS */
	const char *ca_file;  /* PEM trust anchors (a private CA); NULL: system store */
	const char *user, *password;
	int auth_plain;       /* 1: AUTHENTICATE PLAIN; 0: LOGIN (PLAIN anyway when LOGINDISABLED) */
	const char *mailbox;  /* NULL: INBOX */
	const char *move_to;  /* NULL: only mark \Seen; else MOVE taken mail there (created if missing) */
	int poll_interval_s;  /* 0: IMAP_DEFAULT_POLL_INTERVAL_S */
	int use_idle;         /* 1: IDLE when the server offers it */
	int timeout_s;        /* 0: IMAP_DEFAULT_TIMEOUT_S */
};

struct imap_callbacks {
	/* get_state - last seen UIDVALIDITY and last UID taken for this account+mailbox (0,0 if none) */
	int (*get_state)(void *arg, const char *mailbox, uint32_t *uidvalidity_r, uint32_t *last_uid_r);
	/* deliver - commit raw message + new last_uid in ONE transaction; 0 = committed (or a
	   duplicate already there), -1 = temporary failure (do not flag; retry later). raw is
	   borrowed for the call and is not NUL-terminated. */
	int (*deliver)(void *arg, const char *mailbox, uint32_t uidvalidity, uint32_t uid, const char *raw, size_t len);
	/* uidvalidity_changed - the mailbox was recreated; the caller resets its state */
	void (*uidvalidity_changed)(void *arg, const char *mailbox, uint32_t old_v, uint32_t new_v);
	void *arg;
	/* commit - optional: group commits. When set, deliver() may leave what
	   it stored in an open transaction; commit() is called after the
	   deliver() calls of each UID FETCH batch (up to IMAP_BATCH_MESSAGES)
	   and before any of them is flagged. 0 = everything deliver() took is
	   durable; -1 = none of the batch is (nothing is flagged, and the
	   batch is fetched again after the backoff). */
	int (*commit)(void *arg);
};

struct imap_poller;

/* imap_poller_new - a poller for cfg (strings are copied); no network yet.
   get_state and deliver are required. Never NULL. */
struct imap_poller *imap_poller_new(const struct imap_config *cfg, const struct imap_callbacks *cb);

/* imap_poller_step - connect if needed, fetch what is new, then wait (IDLE
   or sleep) at most max_wait_ms for news (<0: as long as IDLE or the poll
   interval allows; 0: do not wait) and fetch it when it comes. Returns 0, or
   -1 after an error (the text is in the status; backoff is handled inside:
   the next step waits out the backoff, again at most max_wait_ms, before it
   reconnects). A step also returns early, with 0, after
   imap_poller_interrupt(). Network I/O is bounded by timeout_s per reply. */
int imap_poller_step(struct imap_poller *p, int max_wait_ms);

/* imap_poller_interrupt - end the current or next wait of imap_poller_step
   at once (IDLE is finished with DONE first). Safe from a signal handler
   and from any thread; it only sets a flag and writes to a pipe. */
void imap_poller_interrupt(struct imap_poller *p);

struct imap_status {
	time_t last_poll;      /* clock_now() of the last completed fetch; 0 never */
	char last_error[256];  /* "" when the last attempt succeeded */
	int connected;         /* logged in, mailbox selected */
	uint32_t uidvalidity, last_uid;
	unsigned attempts;     /* connection attempts since the poller was made */
	unsigned delivered;    /* messages deliver() committed since then */
	int idle;              /* the server offers IDLE and it is used */
};

/* imap_poller_status - a consistent copy for `tagctl status`; any thread */
void imap_poller_status(const struct imap_poller *p, struct imap_status *st);

/* imap_check_connection - connect, verify the certificate, log in, select
   the mailbox, log out (tagd --check-connections). 0, or -1 with the reason
   in *error_r, valid until the next call from the same thread. */
int imap_check_connection(const struct imap_config *cfg, const char **error_r);

/* imap_poller_free - log out if connected, release everything; *p = NULL */
void imap_poller_free(struct imap_poller **p);

#endif
