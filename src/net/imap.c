#include "config.h"
#include "net/imap.h"
#include "net/tlscheck.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <libetpan/libetpan.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How a failure is retried: after the backoff, or at its maximum. */
enum fail_class { FAIL_TEMP, FAIL_PERM };

/* What a fetch round ended with. */
enum fetch_result { FETCH_OK, FETCH_DELIVER_FAILED, FETCH_CONN_ERROR };

/* What ended a wait. */
enum wait_result { WAIT_TIMEOUT, WAIT_INTERRUPTED, WAIT_HASDATA, WAIT_ERROR };

/* One open, logged-in session with its mailbox selected. */
struct imap_conn {
	mailimap *imap;
	int can_idle, can_move, can_uidplus;
	int keywords_ok;        /* PERMANENTFLAGS has \* */
	uint32_t uidvalidity, uidnext;
	int in_auth;            /* the debug logger stays quiet during LOGIN/AUTHENTICATE */
};

struct imap_poller {
	struct imap_config cfg;   /* strings point to the copies below */
	char *host, *ca_file, *user, *password, *mailbox, *move_to;
	char *label;              /* user@host:port/mailbox, for the log */
	struct imap_callbacks cb;

	struct imap_conn *conn;   /* NULL when disconnected */
	uint32_t uidvalidity;     /* of the selected mailbox */
	uint32_t last_uid;        /* highest UID deliver() committed */
	uint32_t scan_uid;        /* listings start above this: last_uid, or an
				     oversized message left alone on this connection */

	int need_fetch;
	int64_t next_poll_ms;     /* monotonic; polling without IDLE */
	int64_t next_attempt_ms;  /* monotonic; no connection before this */
	unsigned failures;        /* consecutive connection failures */
	int64_t deliver_retry_ms; /* monotonic; 0 = deliver() did not fail */
	unsigned deliver_failures;

	int wake[2];              /* self-pipe for imap_poller_interrupt() */
	atomic_int interrupted;

	pthread_mutex_t lock;     /* guards st */
	struct imap_status st;
	uint64_t rng;
};

/* ------------------------------------------------------------------ */
/* small helpers */

/* now_ms - monotonic milliseconds: deadlines must not follow the wall clock */
static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* imap_err_text - libetpan's result codes in words */
static const char *imap_err_text(int r)
{
	switch (r) {
	case MAILIMAP_NO_ERROR: return "ok";
	case MAILIMAP_NO_ERROR_AUTHENTICATED: return "ok (pre-authenticated)";
	case MAILIMAP_NO_ERROR_NON_AUTHENTICATED: return "ok";
	case MAILIMAP_ERROR_BAD_STATE: return "command not allowed in this state";
	case MAILIMAP_ERROR_STREAM: return "connection lost or timed out";
	case MAILIMAP_ERROR_PARSE: return "unparsable server response";
	case MAILIMAP_ERROR_CONNECTION_REFUSED: return "connection refused or host not found";
	case MAILIMAP_ERROR_MEMORY: return "out of memory";
	case MAILIMAP_ERROR_FATAL: return "server closed the session (BYE)";
	case MAILIMAP_ERROR_PROTOCOL: return "protocol error";
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION: return "server refused the connection";
	case MAILIMAP_ERROR_LOGIN: return "login refused";
	case MAILIMAP_ERROR_SASL: return "authentication refused";
	case MAILIMAP_ERROR_SSL: return "TLS handshake failed";
	case MAILIMAP_ERROR_STARTTLS: return "STARTTLS refused";
	case MAILIMAP_ERROR_SELECT: return "SELECT refused";
	case MAILIMAP_ERROR_UID_FETCH: return "UID FETCH refused";
	case MAILIMAP_ERROR_UID_STORE: return "UID STORE refused";
	case MAILIMAP_ERROR_UID_MOVE: return "UID MOVE refused";
	case MAILIMAP_ERROR_UID_COPY: return "UID COPY refused";
	case MAILIMAP_ERROR_UID_SEARCH: return "UID SEARCH refused";
	case MAILIMAP_ERROR_EXPUNGE: return "UID EXPUNGE refused";
	case MAILIMAP_ERROR_CREATE: return "CREATE refused";
	case MAILIMAP_ERROR_LIST: return "LIST refused";
	case MAILIMAP_ERROR_CAPABILITY: return "CAPABILITY refused";
	case MAILIMAP_ERROR_EXTENSION: return "IDLE refused";
	default: return "IMAP error";
	}
}

/* why - libetpan's code in words, with the server's text when a reply
   (NO, BAD) decided it; a lost stream leaves a stale text, so not then */
static const char *why(mailimap *s, int r)
{
	static _Thread_local char buf[400];
	int stale = r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
		    r == MAILIMAP_ERROR_CONNECTION_REFUSED || r == MAILIMAP_ERROR_MEMORY ||
		    r == MAILIMAP_ERROR_SSL;
	if (stale || s == NULL || s->imap_response == NULL || s->imap_response[0] == '\0')
		snprintf(buf, sizeof(buf), "%s", imap_err_text(r));
	else
		snprintf(buf, sizeof(buf), "%s: %.300s", imap_err_text(r), s->imap_response);
	return buf;
}

/* is_ip_literal - SNI must not carry an address (RFC 6066 3) */
static int is_ip_literal(const char *host)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* sni_callback - libetpan calls it with the TLS context before the handshake */
static void sni_callback(struct mailstream_ssl_context *ctx, void *data)
{
	char *host = data;
	if (host != NULL && !is_ip_literal(host))
		mailstream_ssl_set_server_name(ctx, host);
}

/* debug_logger - protocol trace under `debug = imap`; never credentials */
static void debug_logger(mailimap *s, int log_type, const char *str, size_t size, void *ctx)
{
	struct imap_conn *c = ctx;
	const char *dir;
	(void)s;
	switch (log_type) {
	case MAILSTREAM_LOG_TYPE_DATA_RECEIVED: dir = "S:"; break;
	case MAILSTREAM_LOG_TYPE_DATA_SENT: dir = "C:"; break;
	default: return;
	}
	if (c->in_auth && dir[0] == 'C') {
		log_debug(LOG_SUB_IMAP, "C: (authentication, %zu bytes)", size);
		return;
	}
	int n = size > 200 ? 200 : (int)size;
	log_debug(LOG_SUB_IMAP, "%s %.*s%s", dir, n, str, size > 200 ? "..." : "");
}

/* ensure_caps - CAPABILITY if the server has not sent it yet */
static int ensure_caps(mailimap *s, int force)
{
	struct mailimap_capability_data *cap = NULL;
	if (!force && s->imap_connection_info != NULL &&
	    s->imap_connection_info->imap_capability != NULL)
		return MAILIMAP_NO_ERROR;
	int r = mailimap_capability(s, &cap);
	if (cap != NULL)
		mailimap_capability_data_free(cap);
	return r;
}

/* has_cap - a capability atom, case-insensitive (needs ensure_caps first) */
static int has_cap(mailimap *s, const char *name)
{
	if (s->imap_connection_info == NULL || s->imap_connection_info->imap_capability == NULL)
		return 0;
	return mailimap_has_extension(s, (char *)name);
}

/* verify_certificate - GnuTLS over the chain the server sent (libetpan does not) */
static int verify_certificate(mailimap *s, const struct imap_config *cfg, char *err, size_t errsz)
{
	carray *chain = mailstream_get_certificate_chain(s->imap_stream);
	struct tlscheck_cert certs[TLSCHECK_MAX_CHAIN];
	const char *why = NULL;
	size_t n = 0;
	int r;

	if (chain == NULL) {
		snprintf(err, errsz, "certificate verification failed: the server sent no certificate");
		return -1;
	}
	for (unsigned int i = 0; i < carray_count(chain) && n < TLSCHECK_MAX_CHAIN; i++) {
		MMAPString *der = carray_get(chain, i);
		if (der == NULL)
			continue;
		certs[n].der = (const unsigned char *)der->str;
		certs[n].len = der->len;
		n++;
	}
	r = tlscheck_verify(certs, n, cfg->ca_file, cfg->host, &why);
	mailstream_certificate_chain_free(chain);
	if (r < 0) {
		snprintf(err, errsz, "certificate verification failed: %s", why);
		return -1;
	}
	return 0;
}

/* conn_close - LOGOUT when asked (bounded by the timeout), then free */
static void conn_close(struct imap_conn **cp, int logout)
{
	struct imap_conn *c = *cp;
	if (c == NULL)
		return;
	if (c->imap != NULL) {
		if (logout)
			(void)mailimap_logout(c->imap);
		mailimap_free(c->imap);
	}
	free(c);
	*cp = NULL;
}

static int config_port(const struct imap_config *cfg)
{
	if (cfg->port > 0)
		return cfg->port;
	return cfg->tls == 2 ? 993 : 143;
}

static const char *config_mailbox(const struct imap_config *cfg)
{
	return cfg->mailbox != NULL && cfg->mailbox[0] != '\0' ? cfg->mailbox : "INBOX";
}

/* conn_open - connect, TLS, verify, log in, capabilities, SELECT. On failure
   the reason goes to err and its class to *class_r. */
static struct imap_conn *conn_open(const struct imap_config *cfg, char *err, size_t errsz,
				   enum fail_class *class_r)
{
	struct imap_conn *c = xcalloc(1, sizeof(*c));
	int port = config_port(cfg);
	const char *mailbox = config_mailbox(cfg);
	int timeout = cfg->timeout_s > 0 ? cfg->timeout_s : IMAP_DEFAULT_TIMEOUT_S;
	int r, preauth;

	*class_r = FAIL_TEMP;
	if (cfg->user == NULL || cfg->user[0] == '\0' || cfg->password == NULL) {
		snprintf(err, errsz, "no IMAP user or password configured");
		*class_r = FAIL_PERM;
		free(c);
		return NULL;
	}
	c->imap = mailimap_new(0, NULL);
	if (c->imap == NULL)
		log_fatal("imap: out of memory");
	mailimap_set_timeout(c->imap, timeout);
	if (log_debug_enabled(LOG_SUB_IMAP))
		mailimap_set_logger(c->imap, debug_logger, c);

	if (cfg->tls == 2)
		r = mailimap_ssl_connect_with_callback(c->imap, cfg->host, (uint16_t)port,
						       sni_callback, (void *)cfg->host);
	else
		r = mailimap_socket_connect(c->imap, cfg->host, (uint16_t)port);
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		snprintf(err, errsz, "cannot connect to %s:%d%s: %s", cfg->host, port,
			 cfg->tls == 2 ? " (IMAPS)" : "", imap_err_text(r));
		goto fail;
	}
	preauth = r == MAILIMAP_NO_ERROR_AUTHENTICATED;

	if (cfg->tls == 1) {
		r = ensure_caps(c->imap, 0);
		if (r != MAILIMAP_NO_ERROR) {
			snprintf(err, errsz, "CAPABILITY failed on %s:%d: %s", cfg->host, port, imap_err_text(r));
			goto fail;
		}
		if (!has_cap(c->imap, "STARTTLS")) {
			snprintf(err, errsz, "%s:%d does not offer STARTTLS", cfg->host, port);
			*class_r = FAIL_PERM;
			goto fail;
		}
		r = mailimap_socket_starttls_with_callback(c->imap, sni_callback, (void *)cfg->host);
		if (r != MAILIMAP_NO_ERROR) {
			snprintf(err, errsz, "STARTTLS with %s:%d failed: %s", cfg->host, port,
				 why(c->imap, r));
			goto fail;
		}
	}
	if (cfg->tls == 1 || cfg->tls == 2) {
		if (verify_certificate(c->imap, cfg, err, errsz) < 0) {
			*class_r = FAIL_PERM;
			goto fail;
		}
	}
	/* capabilities seen before STARTTLS do not count (RFC 3501 6.2.1) */
	r = ensure_caps(c->imap, cfg->tls == 1);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errsz, "CAPABILITY failed: %s", imap_err_text(r));
		goto fail;
	}

	if (!preauth) {
		int plain = cfg->auth_plain || has_cap(c->imap, "LOGINDISABLED");
		c->in_auth = 1;
		if (plain)
			r = mailimap_authenticate(c->imap, "PLAIN", cfg->host, NULL, NULL,
						  cfg->user, cfg->user, cfg->password, NULL);
		else
			r = mailimap_login(c->imap, cfg->user, cfg->password);
		c->in_auth = 0;
		if (r != MAILIMAP_NO_ERROR) {
			if (r == MAILIMAP_ERROR_LOGIN || r == MAILIMAP_ERROR_SASL)
				*class_r = FAIL_PERM;
			snprintf(err, errsz, "%s as %s on %s:%d failed: %s",
				 plain ? "AUTHENTICATE PLAIN" : "LOGIN", cfg->user ? cfg->user : "",
				 cfg->host, port, why(c->imap, r));
			goto fail;
		}
	}
	/* the capabilities change after login; Dovecot sends them, others may not */
	r = ensure_caps(c->imap, 1);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errsz, "CAPABILITY failed after login: %s", imap_err_text(r));
		goto fail;
	}
	c->can_idle = mailimap_has_idle(c->imap);
	c->can_move = has_cap(c->imap, "MOVE");
	c->can_uidplus = mailimap_has_uidplus(c->imap);

	r = mailimap_select(c->imap, mailbox);
	if (r != MAILIMAP_NO_ERROR) {
		/* a refused SELECT stays temporary: a mailbox deleted and
		   recreated (a migration, a reset) is back within seconds, and
		   one that stays missing reaches the longest backoff anyway */
		snprintf(err, errsz, "cannot select %s: %s", mailbox, why(c->imap, r));
		goto fail;
	}
	struct mailimap_selection_info *sel = c->imap->imap_selection_info;
	if (sel == NULL || sel->sel_uidvalidity == 0) {
		snprintf(err, errsz, "%s: the server sent no UIDVALIDITY", mailbox);
		*class_r = FAIL_PERM;
		goto fail;
	}
	c->uidvalidity = sel->sel_uidvalidity;
	c->uidnext = sel->sel_uidnext;
	if (sel->sel_perm_flags != NULL) {
		for (clistiter *it = clist_begin(sel->sel_perm_flags); it; it = clist_next(it)) {
			struct mailimap_flag_perm *fp = clist_content(it);
			if (fp != NULL && fp->fl_type == MAILIMAP_FLAG_PERM_ALL)
				c->keywords_ok = 1;
		}
	}
	return c;
fail:
	conn_close(&c, 0);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* status */

__attribute__((format(printf, 2, 3)))
static void set_error(struct imap_poller *p, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&p->lock);
	va_start(ap, fmt);
	vsnprintf(p->st.last_error, sizeof(p->st.last_error), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&p->lock);
}

static void status_update(struct imap_poller *p, int connected, int polled)
{
	pthread_mutex_lock(&p->lock);
	p->st.connected = connected;
	p->st.uidvalidity = p->uidvalidity;
	p->st.last_uid = p->last_uid;
	p->st.idle = connected && p->conn != NULL && p->conn->can_idle && p->cfg.use_idle;
	if (polled) {
		p->st.last_poll = clock_now();
		p->st.last_error[0] = '\0';
	}
	pthread_mutex_unlock(&p->lock);
}

void imap_poller_status(const struct imap_poller *p, struct imap_status *st)
{
	struct imap_poller *mp = (struct imap_poller *)p; /* the lock is not the state */
	pthread_mutex_lock(&mp->lock);
	*st = p->st;
	pthread_mutex_unlock(&mp->lock);
}

/* ------------------------------------------------------------------ */
/* backoff */

/* jitter - +-20%, xorshift seeded per poller */
static int64_t jitter(struct imap_poller *p, int64_t ms)
{
	p->rng ^= p->rng << 13;
	p->rng ^= p->rng >> 7;
	p->rng ^= p->rng << 17;
	int64_t span = ms * 2 / 5; /* 40% */
	if (span <= 0)
		return ms;
	return ms - span / 2 + (int64_t)(p->rng % (uint64_t)(span + 1));
}

/* backoff_ms - 1 s doubling to the maximum; permanent failures at once to it */
static int64_t backoff_ms(struct imap_poller *p, unsigned failures, enum fail_class cls)
{
	int64_t d = IMAP_BACKOFF_MIN_MS;
	if (cls == FAIL_PERM)
		d = IMAP_BACKOFF_MAX_MS;
	else
		for (unsigned i = 1; i < failures && d < IMAP_BACKOFF_MAX_MS; i++)
			d *= 2;
	if (d > IMAP_BACKOFF_MAX_MS)
		d = IMAP_BACKOFF_MAX_MS;
	return jitter(p, d);
}

/* connection_failed - drop the connection, log, schedule the next attempt */
static void connection_failed(struct imap_poller *p, enum fail_class cls, const char *what)
{
	conn_close(&p->conn, 0);
	p->failures++;
	int64_t d = backoff_ms(p, p->failures, cls);
	p->next_attempt_ms = now_ms() + d;
	set_error(p, "%s", what);
	status_update(p, 0, 0);
	if (cls == FAIL_PERM)
		log_error("imap %s: %s (permanent; next attempt in %lld s)", p->label, what,
			  (long long)(d / 1000));
	else
		log_warn("imap %s: %s (attempt %u; next in %.1f s)", p->label, what,
			 p->failures, (double)d / 1000.0);
}

/* ------------------------------------------------------------------ */
/* waiting */

/* drain_wake - empty the self-pipe and clear the flag */
static void drain_wake(struct imap_poller *p)
{
	char buf[64];
	while (read(p->wake[0], buf, sizeof(buf)) > 0)
		;
	atomic_store(&p->interrupted, 0);
}

/* wait_fds - until `until` (monotonic ms) for the socket (fd >= 0) or the
   self-pipe; INT64_MAX waits without limit */
static enum wait_result wait_fds(struct imap_poller *p, int fd, int64_t until)
{
	struct pollfd pfd[2];
	for (;;) {
		int64_t left = until == INT64_MAX ? -1 : until - now_ms();
		int n = 0;
		if (atomic_load(&p->interrupted)) {
			drain_wake(p);
			return WAIT_INTERRUPTED;
		}
		if (until != INT64_MAX && left <= 0)
			return WAIT_TIMEOUT;
		pfd[n].fd = p->wake[0];
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
		if (fd >= 0) {
			pfd[n].fd = fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
		int timeout = left < 0 ? -1 : left > 60000 ? 60000 : (int)left;
		int r = poll(pfd, (nfds_t)n, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_error_errno("imap: poll");
			return WAIT_ERROR;
		}
		if (r == 0)
			continue;
		if (pfd[0].revents) {
			drain_wake(p);
			return WAIT_INTERRUPTED;
		}
		if (n > 1 && pfd[1].revents)
			return WAIT_HASDATA;
	}
}

/* idle_wait - the §1 recipe: IDLE; wait only when nothing is buffered; always DONE */
static enum wait_result idle_wait(struct imap_poller *p, int64_t until, char *err, size_t errsz)
{
	mailimap *s = p->conn->imap;
	enum wait_result w;
	int r = mailimap_idle(s);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errsz, "IDLE failed: %s", why(s, r));
		return WAIT_ERROR;
	}
	/* already-buffered data would never wake a poll on the socket */
	if (s->imap_stream->read_buffer_len > 0)
		w = WAIT_HASDATA;
	else
		w = wait_fds(p, mailimap_idle_get_fd(s), until);
	r = mailimap_idle_done(s);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errsz, "IDLE ended with an error: %s", why(s, r));
		return WAIT_ERROR;
	}
	if (w == WAIT_ERROR)
		snprintf(err, errsz, "waiting in IDLE failed");
	return w;
}

/* ------------------------------------------------------------------ */
/* flags, moves */

static struct mailimap_search_key *search_key_simple(int type)
{
	return mailimap_search_key_new(type, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
				       NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL,
				       NULL, NULL, NULL, 0, NULL, NULL, NULL);
}

/* set_add_uid - add a UID, ascending: consecutive ones make one range
   ("1:100", not "1,2,...,100") */
static void set_add_uid(struct mailimap_set *set, uint32_t uid)
{
	clistiter *last = clist_end(set->set_list);
	struct mailimap_set_item *item = last != NULL ? clist_content(last) : NULL;
	if (item != NULL && item->set_last != 0 && uid > 0 && item->set_last == uid - 1)
		item->set_last = uid;
	else
		mailimap_set_add_single(set, uid);
}

/* store_flags - UID STORE +FLAGS.SILENT; flags built by the caller */
static int store_flags(mailimap *s, struct mailimap_set *set, struct mailimap_flag_list *fl)
{
	struct mailimap_store_att_flags *sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	int r = mailimap_uid_store(s, set, sa);
	mailimap_store_att_flags_free(sa); /* frees fl */
	return r;
}

/* mark_taken - \Seen, then MOVE (or COPY + \Deleted + UID EXPUNGE); never plain EXPUNGE */
static int mark_taken(struct imap_poller *p, struct mailimap_set *set, char *err, size_t errsz)
{
	mailimap *s = p->conn->imap;
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	int r;

	mailimap_flag_list_add(fl, mailimap_flag_new_seen());
	r = store_flags(s, set, fl);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errsz, "marking taken mail \\Seen failed: %s", why(s, r));
		return -1;
	}
	if (p->move_to == NULL)
		return 0;
	if (p->conn->can_move) {
		r = mailimap_uid_move(s, set, p->move_to);
		if (r != MAILIMAP_NO_ERROR) {
			snprintf(err, errsz, "UID MOVE to %s failed: %s", p->move_to, why(s, r));
			return -1;
		}
	} else if (p->conn->can_uidplus) {
		r = mailimap_uid_copy(s, set, p->move_to);
		if (r != MAILIMAP_NO_ERROR) {
			snprintf(err, errsz, "UID COPY to %s failed: %s", p->move_to, why(s, r));
			return -1;
		}
		fl = mailimap_flag_list_new_empty();
		mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
		r = store_flags(s, set, fl);
		if (r == MAILIMAP_NO_ERROR)
			r = mailimap_uid_expunge(s, set);
		if (r != MAILIMAP_NO_ERROR) {
			snprintf(err, errsz, "removing copied mail failed: %s", why(s, r));
			return -1;
		}
	}
	return 0;
}

/* mark_skipped - an oversized message stays, \Flagged (and a keyword) for a person */
static int mark_skipped(struct imap_poller *p, uint32_t uid, char *err, size_t errsz)
{
	mailimap *s = p->conn->imap;
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(fl, mailimap_flag_new_flagged());
	if (p->conn->keywords_ok)
		mailimap_flag_list_add(fl, mailimap_flag_new_flag_keyword(xstrdup(IMAP_SKIP_KEYWORD)));
	int r = store_flags(s, set, fl);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errsz, "flagging an oversized message failed: %s", why(s, r));
		return -1;
	}
	return 0;
}

/* reconcile - mail at or below last_uid was committed: finish flagging
   (and moving) what a crash between commit and flag left behind */
static int reconcile(struct imap_poller *p, char *err, size_t errsz)
{
	mailimap *s = p->conn->imap;
	struct mailimap_search_key *key;
	clist *found = NULL;
	int r, ret = 0;

	if (p->last_uid == 0)
		return 0;
	key = mailimap_search_key_new_multiple_empty();
	mailimap_search_key_multiple_add(key, mailimap_search_key_new_uid(mailimap_set_new_interval(1, p->last_uid)));
	if (p->move_to == NULL)
		mailimap_search_key_multiple_add(key, search_key_simple(MAILIMAP_SEARCH_KEY_UNSEEN));
	if (p->conn->keywords_ok)
		mailimap_search_key_multiple_add(key, mailimap_search_key_new_unkeyword(xstrdup(IMAP_SKIP_KEYWORD)));
	else
		mailimap_search_key_multiple_add(key, search_key_simple(MAILIMAP_SEARCH_KEY_UNFLAGGED));
	r = mailimap_uid_search(s, NULL, key, &found);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errsz, "UID SEARCH failed: %s", why(s, r));
		return -1;
	}
	struct mailimap_set *set = mailimap_set_new_empty();
	unsigned n = 0;
	for (clistiter *it = clist_begin(found); it; it = clist_next(it)) {
		uint32_t *uid = clist_content(it);
		/* the UID n:* trap has a SEARCH twin: keep to the range asked */
		if (uid != NULL && *uid >= 1 && *uid <= p->last_uid) {
			set_add_uid(set, *uid);
			n++;
		}
	}
	mailimap_search_result_free(found);
	if (n > 0) {
		log_info("imap %s: %u message(s) taken before but not yet %s: finishing",
			 p->label, n, p->move_to ? "moved" : "flagged");
		ret = mark_taken(p, set, err, errsz);
	}
	mailimap_set_free(set);
	return ret;
}

/* ensure_move_folder - create move_to when the server does not list it */
static int ensure_move_folder(struct imap_poller *p, char *err, size_t errsz)
{
	mailimap *s = p->conn->imap;
	clist *list = NULL;
	if (p->move_to == NULL)
		return 0;
	if (!p->conn->can_move && !p->conn->can_uidplus) {
		log_warn("imap %s: neither MOVE nor UIDPLUS: taken mail is only marked \\Seen, not moved to %s",
			 p->label, p->move_to);
		return 0;
	}
	int r = mailimap_list(s, "", p->move_to, &list);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errsz, "LIST %s failed: %s", p->move_to, why(s, r));
		return -1;
	}
	int exists = list != NULL && clist_count(list) > 0;
	if (list != NULL)
		mailimap_list_result_free(list);
	if (exists)
		return 0;
	r = mailimap_create(s, p->move_to);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errsz, "cannot create folder %s: %s", p->move_to, why(s, r));
		return -1;
	}
	log_info("imap %s: created folder %s for taken mail", p->label, p->move_to);
	return 0;
}

/* ------------------------------------------------------------------ */
/* fetching */

struct new_msg {
	uint32_t uid;
	uint32_t size;
	const char *body;   /* into the fetch result */
	size_t len;
};

static int cmp_uid(const void *a, const void *b)
{
	const struct new_msg *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* msg_att_read - UID, RFC822.SIZE and BODY[] of one FETCH response */
static void msg_att_read(struct mailimap_msg_att *ma, struct new_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (ma == NULL)
		return;
	for (clistiter *it = clist_begin(ma->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		if (item == NULL || item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		struct mailimap_msg_att_static *st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			m->uid = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			m->size = st->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (st->att_data.att_body_section != NULL &&
			    st->att_data.att_body_section->sec_body_part != NULL) {
				m->body = st->att_data.att_body_section->sec_body_part;
				m->len = st->att_data.att_body_section->sec_length;
			}
			break;
		default:
			break;
		}
	}
}

/* list_new - UIDs above last_uid with their sizes, sorted; the server's
   answer to `UID n:*` includes the highest message even below n: dropped */
static int list_new(struct imap_poller *p, struct new_msg **list_r, size_t *n_r, char *err, size_t errsz)
{
	mailimap *s = p->conn->imap;
	struct mailimap_set *set;
	struct mailimap_fetch_type *ft;
	clist *res = NULL;
	struct new_msg *list = NULL;
	size_t n = 0, cap = 0;
	int r;

	*list_r = NULL;
	*n_r = 0;
	if (p->scan_uid < p->last_uid)
		p->scan_uid = p->last_uid;
	if (p->scan_uid == UINT32_MAX)
		return 0;
	set = mailimap_set_new_interval(p->scan_uid + 1, 0);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	r = mailimap_uid_fetch(s, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errsz, "UID FETCH %u:* failed: %s", p->scan_uid + 1, why(s, r));
		return -1;
	}
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		struct new_msg m;
		msg_att_read(clist_content(it), &m);
		if (m.uid <= p->scan_uid)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			list = xreallocarray(list, cap, sizeof(*list));
		}
		m.body = NULL;
		m.len = 0;
		list[n++] = m;
	}
	mailimap_fetch_list_free(res);
	if (n > 1)
		qsort(list, n, sizeof(*list), cmp_uid);
	if (n > IMAP_MAX_NEW_PER_FETCH)
		n = IMAP_MAX_NEW_PER_FETCH; /* the rest in the next round */
	*list_r = list;
	*n_r = n;
	return 0;
}

/* deliver_batch - fetch the bodies of list[0..n) and hand them over in UID
   order; flag what was committed */
static enum fetch_result deliver_batch(struct imap_poller *p, const struct new_msg *want, size_t n,
				       char *err, size_t errsz)
{
	mailimap *s = p->conn->imap;
	struct mailimap_set *set = mailimap_set_new_empty();
	struct mailimap_fetch_type *ft;
	clist *res = NULL;
	enum fetch_result ret = FETCH_OK;
	int r;

	for (size_t i = 0; i < n; i++)
		set_add_uid(set, want[i].uid);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
		mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
	r = mailimap_uid_fetch(s, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errsz, "UID FETCH of %zu message(s) failed: %s", n, why(s, r));
		return FETCH_CONN_ERROR;
	}

	struct new_msg *got = xcalloc(clist_count(res) + 1, sizeof(*got));
	size_t ngot = 0;
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		struct new_msg m;
		msg_att_read(clist_content(it), &m);
		if (m.uid > p->last_uid && m.body != NULL)
			got[ngot++] = m;
	}
	if (ngot > 1)
		qsort(got, ngot, sizeof(*got), cmp_uid);

	struct mailimap_set *taken = mailimap_set_new_empty();
	size_t ntaken = 0, ncalls = 0;
	uint32_t batch_last = p->last_uid;  /* where to start again if the commit fails */
	for (size_t i = 0; i < ngot; i++) {
		if (got[i].uid <= p->last_uid)
			continue; /* a duplicate FETCH response */
		if (got[i].len > IMAP_MAX_MESSAGE_BYTES) {
			/* RFC822.SIZE said less: the server is wrong, the limit holds anyway */
			log_error("imap %s: UID %u is %zu bytes, over the limit of %zu: left in the mailbox, flagged",
				  p->label, got[i].uid, got[i].len, (size_t)IMAP_MAX_MESSAGE_BYTES);
			if (mark_skipped(p, got[i].uid, err, errsz) < 0) {
				ret = FETCH_CONN_ERROR;
				break;
			}
			if (got[i].uid > p->scan_uid)
				p->scan_uid = got[i].uid; /* or the next listing finds it again */
			continue;
		}
		ncalls++;
		r = p->cb.deliver(p->cb.arg, config_mailbox(&p->cfg), p->uidvalidity, got[i].uid,
				  got[i].body, got[i].len);
		if (r != 0) {
			p->deliver_failures++;
			int64_t d = backoff_ms(p, p->deliver_failures, FAIL_TEMP);
			p->deliver_retry_ms = now_ms() + d;
			set_error(p, "the store did not take UID %u: retrying in %.1f s", got[i].uid,
				  (double)d / 1000.0);
			log_warn("imap %s: the store did not take UID %u; not flagged; retry in %.1f s",
				 p->label, got[i].uid, (double)d / 1000.0);
			ret = FETCH_DELIVER_FAILED;
			break;
		}
		p->deliver_failures = 0;
		p->deliver_retry_ms = 0;
		p->last_uid = got[i].uid;
		set_add_uid(taken, got[i].uid);
		ntaken++;
		pthread_mutex_lock(&p->lock);
		p->st.delivered++;
		p->st.last_uid = p->last_uid;
		pthread_mutex_unlock(&p->lock);
		log_debug(LOG_SUB_IMAP, "imap %s: took UID %u (%zu bytes)", p->label,
			  got[i].uid, got[i].len);
	}
	free(got);
	mailimap_fetch_list_free(res);
	/* group commit: durable before anything is flagged */
	if (ncalls > 0 && p->cb.commit && p->cb.commit(p->cb.arg) != 0) {
		p->deliver_failures++;
		int64_t d = backoff_ms(p, p->deliver_failures, FAIL_TEMP);
		p->deliver_retry_ms = now_ms() + d;
		set_error(p, "the store did not commit %zu message(s): retrying in %.1f s", ntaken,
			  (double)d / 1000.0);
		log_warn("imap %s: the store did not commit %zu message(s); not flagged; retry in %.1f s",
			 p->label, ntaken, (double)d / 1000.0);
		pthread_mutex_lock(&p->lock);
		p->st.delivered -= (unsigned)ntaken;
		p->last_uid = batch_last;
		p->st.last_uid = p->last_uid;
		pthread_mutex_unlock(&p->lock);
		ntaken = 0;
		if (ret == FETCH_OK)
			ret = FETCH_DELIVER_FAILED;
	}
	if (ret != FETCH_CONN_ERROR && ntaken > 0 && mark_taken(p, taken, err, errsz) < 0)
		ret = FETCH_CONN_ERROR;
	mailimap_set_free(taken);
	return ret;
}

/* fetch_new - take everything above last_uid, in batches, until a listing
   finds nothing new (mail that came during the fetch is then taken too) */
static enum fetch_result fetch_new(struct imap_poller *p, char *err, size_t errsz)
{
	for (;;) {
		struct new_msg *list;
		size_t n, i = 0;
		if (list_new(p, &list, &n, err, errsz) < 0)
			return FETCH_CONN_ERROR;
		if (n == 0) {
			free(list);
			p->need_fetch = 0;
			p->deliver_retry_ms = 0; /* nothing left that the store refused */
			p->deliver_failures = 0;
			status_update(p, 1, 1);
			return FETCH_OK;
		}
		while (i < n) {
			/* an oversized message is left alone: flagged for a person */
			if (list[i].size > IMAP_MAX_MESSAGE_BYTES) {
				log_error("imap %s: UID %u is %u bytes, over the limit of %zu: "
					  "left in the mailbox, flagged", p->label, list[i].uid, list[i].size,
					  (size_t)IMAP_MAX_MESSAGE_BYTES);
				if (mark_skipped(p, list[i].uid, err, errsz) < 0) {
					free(list);
					return FETCH_CONN_ERROR;
				}
				if (list[i].uid > p->scan_uid)
					p->scan_uid = list[i].uid;
				i++;
				continue;
			}
			size_t j = i, bytes = 0;
			while (j < n && j - i < IMAP_BATCH_MESSAGES && list[j].size <= IMAP_MAX_MESSAGE_BYTES &&
			       (j == i || bytes + list[j].size <= IMAP_BATCH_BYTES)) {
				bytes += list[j].size;
				j++;
			}
			enum fetch_result fr = deliver_batch(p, list + i, j - i, err, errsz);
			if (fr != FETCH_OK) {
				free(list);
				if (fr == FETCH_DELIVER_FAILED)
					p->need_fetch = 1;
				return fr;
			}
			i = j;
		}
		free(list);
		status_update(p, 1, 1);
	}
}

/* ------------------------------------------------------------------ */
/* the poller */

/* connect_mailbox - open, read the caller's state, handle a new
   UIDVALIDITY, finish earlier flagging, prepare the move folder */
static int connect_mailbox(struct imap_poller *p)
{
	char err[512];
	enum fail_class cls = FAIL_TEMP;
	uint32_t v = 0, last = 0;
	const char *mailbox = config_mailbox(&p->cfg);

	pthread_mutex_lock(&p->lock);
	p->st.attempts++;
	pthread_mutex_unlock(&p->lock);
	p->conn = conn_open(&p->cfg, err, sizeof(err), &cls);
	if (p->conn == NULL) {
		connection_failed(p, cls, err);
		return -1;
	}
	if (p->cb.get_state(p->cb.arg, mailbox, &v, &last) < 0) {
		connection_failed(p, FAIL_TEMP, "cannot read the mailbox state from the store");
		return -1;
	}
	if (v != 0 && v != p->conn->uidvalidity) {
		log_warn("imap %s: UIDVALIDITY changed from %u to %u: the mailbox was recreated; "
			 "reading it again from UID 1 (messages taken before are recognised as duplicates)",
			 p->label, v, p->conn->uidvalidity);
		if (p->cb.uidvalidity_changed != NULL)
			p->cb.uidvalidity_changed(p->cb.arg, mailbox, v, p->conn->uidvalidity);
		last = 0;
	} else if (v == 0) {
		last = 0;
	}
	p->uidvalidity = p->conn->uidvalidity;
	p->last_uid = last;
	p->scan_uid = last;
	if (reconcile(p, err, sizeof(err)) < 0 || ensure_move_folder(p, err, sizeof(err)) < 0) {
		connection_failed(p, FAIL_TEMP, err);
		return -1;
	}
	log_info("imap %s: connected (%s), UIDVALIDITY %u, UIDNEXT %u, last UID taken %u, %s",
		 p->label, p->cfg.tls == 2 ? "IMAPS" : p->cfg.tls == 1 ? "STARTTLS" : "plain",
		 p->uidvalidity, p->conn->uidnext, p->last_uid,
		 p->conn->can_idle && p->cfg.use_idle ? "IDLE" : "polling");
	p->need_fetch = 1;
	status_update(p, 1, 0);
	return 0;
}

/* do_fetch - a fetch with its error handling; -1 when the connection is gone */
static int do_fetch(struct imap_poller *p)
{
	char err[512];
	enum fetch_result fr = fetch_new(p, err, sizeof(err));
	int poll_s = p->cfg.poll_interval_s > 0 ? p->cfg.poll_interval_s : IMAP_DEFAULT_POLL_INTERVAL_S;
	p->next_poll_ms = now_ms() + (int64_t)poll_s * 1000;
	if (fr == FETCH_CONN_ERROR) {
		connection_failed(p, FAIL_TEMP, err);
		return -1;
	}
	if (fr == FETCH_OK)
		p->failures = 0; /* a full round worked: the next failure starts at 1 s */
	return 0;
}

struct imap_poller *imap_poller_new(const struct imap_config *cfg, const struct imap_callbacks *cb)
{
	if (cfg == NULL || cfg->host == NULL || cb == NULL || cb->get_state == NULL || cb->deliver == NULL)
		log_panic("imap_poller_new: host, get_state and deliver are required");
	struct imap_poller *p = xcalloc(1, sizeof(*p));
	p->cfg = *cfg;
	p->host = xstrdup(cfg->host);
	p->ca_file = cfg->ca_file && cfg->ca_file[0] ? xstrdup(cfg->ca_file) : NULL;
	p->user = xstrdup(cfg->user ? cfg->user : "");
	p->password = xstrdup(cfg->password ? cfg->password : "");
	p->mailbox = xstrdup(config_mailbox(cfg));
	p->move_to = cfg->move_to && cfg->move_to[0] ? xstrdup(cfg->move_to) : NULL;
	if (p->move_to != NULL && (strcmp(p->move_to, p->mailbox) == 0 ||
				   (str_casecmp(p->move_to, "INBOX") == 0 && str_casecmp(p->mailbox, "INBOX") == 0))) {
		/* moving into the watched mailbox would take every message again, forever */
		log_warn("imap: move folder %s is the watched mailbox: taken mail is only marked \\Seen",
			 p->move_to);
		xfree(&p->move_to);
	}
	p->cfg.host = p->host;
	p->cfg.ca_file = p->ca_file;
	p->cfg.user = p->user;
	p->cfg.password = p->password;
	p->cfg.mailbox = p->mailbox;
	p->cfg.move_to = p->move_to;
	p->cb = *cb;
	p->label = xasprintf("%s@%s:%d/%s", p->user, p->host, config_port(cfg), p->mailbox);
	if (cfg->tls == 0)
		log_warn("imap %s: plain IMAP without TLS: the password travels in clear (for tests only)",
			 p->label);
	if (pipe(p->wake) < 0)
		log_fatal_errno("imap: pipe");
	for (int i = 0; i < 2; i++) {
		fcntl(p->wake[i], F_SETFL, fcntl(p->wake[i], F_GETFL) | O_NONBLOCK);
		fcntl(p->wake[i], F_SETFD, FD_CLOEXEC);
	}
	atomic_init(&p->interrupted, 0);
	pthread_mutex_init(&p->lock, NULL);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	p->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)p;
	if (p->rng == 0)
		p->rng = 0x9e3779b97f4a7c15ULL;
	return p;
}

void imap_poller_interrupt(struct imap_poller *p)
{
	int saved = errno;
	char c = 1;
	atomic_store(&p->interrupted, 1);
	/* a full pipe already wakes the poller: nothing to do on EAGAIN */
	ssize_t r = write(p->wake[1], &c, 1);
	(void)r;
	errno = saved;
}

int imap_poller_step(struct imap_poller *p, int max_wait_ms)
{
	char err[512];
	int64_t start = now_ms();
	int64_t deadline = max_wait_ms < 0 ? INT64_MAX : start + max_wait_ms;

	if (p->conn == NULL) {
		if (start < p->next_attempt_ms) {
			int64_t until = p->next_attempt_ms < deadline ? p->next_attempt_ms : deadline;
			if (wait_fds(p, -1, until) != WAIT_TIMEOUT || now_ms() < p->next_attempt_ms)
				return 0;
		}
		if (connect_mailbox(p) < 0)
			return -1;
	}
	if (p->need_fetch && (p->deliver_retry_ms == 0 || now_ms() >= p->deliver_retry_ms)) {
		if (do_fetch(p) < 0)
			return -1;
	} else if (p->deliver_retry_ms == 0 && !(p->conn->can_idle && p->cfg.use_idle) &&
		   now_ms() >= p->next_poll_ms) {
		if (do_fetch(p) < 0)
			return -1;
	}

	/* wait for news */
	if (p->deliver_retry_ms != 0) {
		/* the store refused: sleep until the retry, no IDLE */
		int64_t until = p->deliver_retry_ms < deadline ? p->deliver_retry_ms : deadline;
		if (wait_fds(p, -1, until) == WAIT_TIMEOUT && now_ms() >= p->deliver_retry_ms)
			return do_fetch(p);
		return 0;
	}
	if (p->conn->can_idle && p->cfg.use_idle) {
		int64_t until = start + (int64_t)IMAP_IDLE_MAX_S * 1000;
		if (deadline < until)
			until = deadline;
		if (max_wait_ms == 0)
			return 0;
		enum wait_result w = idle_wait(p, until, err, sizeof(err));
		if (w == WAIT_ERROR) {
			connection_failed(p, FAIL_TEMP, err);
			return -1;
		}
		if (w == WAIT_HASDATA)
			return do_fetch(p);
		return 0;
	}
	int64_t until = p->next_poll_ms < deadline ? p->next_poll_ms : deadline;
	if (wait_fds(p, -1, until) == WAIT_TIMEOUT && now_ms() >= p->next_poll_ms)
		return do_fetch(p);
	return 0;
}

int imap_check_connection(const struct imap_config *cfg, const char **error_r)
{
	static _Thread_local char err[512];
	enum fail_class cls;
	struct imap_conn *c;

	if (cfg == NULL || cfg->host == NULL || cfg->host[0] == '\0') {
		snprintf(err, sizeof(err), "no IMAP host configured");
		*error_r = err;
		return -1;
	}
	c = conn_open(cfg, err, sizeof(err), &cls);
	if (c == NULL) {
		*error_r = err;
		return -1;
	}
	log_info("imap %s@%s:%d/%s: connection checked: UIDVALIDITY %u, UIDNEXT %u, %s%s",
		 cfg->user ? cfg->user : "", cfg->host, config_port(cfg), config_mailbox(cfg),
		 c->uidvalidity, c->uidnext, c->can_idle ? "IDLE" : "no IDLE",
		 c->can_move ? ", MOVE" : "");
	conn_close(&c, 1);
	return 0;
}

void imap_poller_free(struct imap_poller **pp)
{
	struct imap_poller *p = *pp;
	if (p == NULL)
		return;
	conn_close(&p->conn, 1);
	close(p->wake[0]);
	close(p->wake[1]);
	pthread_mutex_destroy(&p->lock);
	free(p->host);
	free(p->ca_file);
	if (p->password != NULL) {
		memset(p->password, 0, strlen(p->password));
		free(p->password);
	}
	free(p->user);
	free(p->mailbox);
	free(p->move_to);
	free(p->label);
	free(p);
	*pp = NULL;
}
