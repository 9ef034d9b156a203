/* daemon.c - tagd's main loop, its sources and its signals */
#include "config.h"
#include "tag/daemon.h"
#include "tag/call.h"
#include "tag/ingest.h"
#include "tag/mailbox.h"
#include "tag/schedule.h"
#include "tag/render.h"
#include "tag/sender.h"
#include "tag/session.h"
#include "tag/settings.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/listaddr.h"
#include "net/imap.h"
#include "net/lmtp.h"
#include "net/http.h"
#include "tag/signup.h"
#include "net/smtp.h"
#include "store/store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAILDIR_SCAN_MS 1000
#define MAX_POLL_FDS 128
#define MAX_SENDERS 16          /* [smtp] connections at most (its bound in settings.c) */

/* read by the IMAP and sender threads as well: an atomic (lock-free, so
   the signal handler may set it), not a volatile, which C11 makes a data
   race across threads */
static atomic_int stop_requested;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler may only set a lock-free atomic");
static volatile sig_atomic_t reload_requested;
static int wake_pipe[2] = { -1, -1 };

struct daemon {
	struct tagd_config cfg;
	const struct daemon_opts *opts;
	char *db_path;
	struct store *st;
	struct store_gate *gate;        /* the connections below take turns to write */
	struct ingest *in;
	struct schedule *sched;         /* each session's calendar */
	struct lmtp_server *lmtp;
	struct http_server *http;        /* one-click unsubscribe, with [tagd] web_url */
	char *maildir_in;
	/* IMAP, in its own thread with its own store connection */
	pthread_t imap_thread;
	int imap_running;
	struct imap_poller *imap;
	char *imap_account;
	char *imap_mailbox;             /* the thread's own copy: a reload replaces cfg */
	struct store *imap_st;
	int imap_in_tx;                 /* an IMAP batch is open in imap_st (imap_commit ends it) */
	atomic_int imap_stop;           /* the loop ended without a signal (--until) */
	int pending;                    /* archived, not yet processed */
	/* the outbox's senders ([smtp] connections), each in its own thread
	   with its own store connection and SMTP connection */
	struct send_worker {
		struct daemon *d;
		struct store *st;
		struct sender *sender;
		pthread_t thread;
		unsigned seen;          /* the kicks it has answered */
	} send_w[MAX_SENDERS];
	int nsend;
	int send_running;           /* threads started */
	pthread_mutex_t send_lock;
	pthread_cond_t send_cond;
	unsigned send_kicks;
	atomic_int send_stop;
};

static void wake(void)
{
	if (wake_pipe[1] >= 0) {
		char c = 1;
		ssize_t n = write(wake_pipe[1], &c, 1);
		(void)n;
	}
}

static void on_stop(int sig)
{
	if (stop_requested) {
		/* a second signal: go now. Nothing is lost: what was archived is
		   processed at the next start, and the outbox resends. */
		static const char msg[] = "tagd: second signal, exiting at once\n";
		ssize_t n = write(2, msg, sizeof(msg) - 1);
		(void)n;
		_exit(1);
	}
	stop_requested = sig;
	wake();
}

static void on_hup(int sig)
{
	reload_requested = sig;
	wake();
}

static void setup_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* ---- config ---- */

static int load_config(struct daemon *d, const char *path)
{
	struct buf err = BUF_INIT;
	int n = tagd_config_load(&d->cfg, path, &err);
	if (n > 0)
		log_error("%s", buf_cstr(&err));
	buf_free(&err);
	return n > 0 ? -1 : 0;
}

/* load_sessions - the session files the config names, into the store */
static int load_sessions(struct daemon *d)
{
	int bad = 0;
	for (int i = 0; i < d->cfg.sessions.n; i++) {
		const char *path = d->cfg.sessions.v[i];
		char *text;
		size_t len;
		if (str_read_file(path, 1 << 20, &text, &len) < 0) {
			log_error("%s: cannot read: %s", path, strerror(errno));
			bad++;
			continue;
		}
		struct session_conf sc;
		struct buf err = BUF_INIT;
		if (session_conf_parse(&sc, text, path, &err) > 0) {
			log_error("%s", buf_cstr(&err));
			bad++;
		} else {
			struct st_session s;
			session_conf_to_store(&sc, text, &s);
			if (store_session_put(d->st, &s, NULL) < 0)
				bad++;
			else
				log_info("session %s loaded from %s", sc.slug, path);
			session_store_free(&s);
		}
		buf_free(&err);
		session_conf_free(&sc);
		free(text);
	}
	return bad ? -1 : 0;
}

int daemon_dump_config(const char *config_path)
{
	struct daemon d;
	memset(&d, 0, sizeof(d));
	if (load_config(&d, config_path) < 0) {
		tagd_config_free(&d.cfg);
		return 1;
	}
	struct buf out = BUF_INIT;
	cfg_dump(tagd_config_defs, &d.cfg, &out);
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	tagd_config_free(&d.cfg);
	return 0;
}

static void imap_config_of(const struct tagd_config *c, struct imap_config *ic)
{
	memset(ic, 0, sizeof(*ic));
	ic->host = c->imap_host;
	ic->port = (int)c->imap_port;
	ic->tls = c->imap_tls == IMAP_TLS_IMAPS ? 2 : c->imap_tls == IMAP_TLS_STARTTLS ? 1 : 0;
	ic->ca_file = c->imap_ca_file && *c->imap_ca_file ? c->imap_ca_file : NULL;
	ic->user = c->imap_user;
	ic->password = c->imap_password ? c->imap_password : "";
	ic->auth_plain = c->imap_auth_plain;
	ic->mailbox = c->imap_mailbox;
	ic->move_to = c->imap_move_to && *c->imap_move_to ? c->imap_move_to : NULL;
	ic->poll_interval_s = (int)c->imap_poll;
	ic->use_idle = c->imap_idle;
	ic->timeout_s = (int)c->imap_timeout;
}

int daemon_check_config(const char *config_path, int connections)
{
	struct tagd_config c;
	struct buf err = BUF_INIT;
	int problems = tagd_config_load(&c, config_path, &err);
	for (int i = 0; i < c.sessions.n; i++) {
		struct session_conf sc;
		problems += session_conf_load(&sc, c.sessions.v[i], &err);
		session_conf_free(&sc);
	}
	if (c.template_dir && *c.template_dir && access(c.template_dir, R_OK) != 0) {
		buf_printf(&err, "%s: [tagd] template_dir: %s: %s\n", config_path ? config_path : "defaults",
			   c.template_dir, strerror(errno));
		problems++;
	}
	if (connections && problems == 0 && c.imap_host && *c.imap_host) {
		struct imap_config ic;
		const char *e;
		imap_config_of(&c, &ic);
		if (imap_check_connection(&ic, &e) < 0) {
			buf_printf(&err, "imap %s:%lld: %s\n", c.imap_host, (long long)c.imap_port, e);
			problems++;
		} else {
			printf("imap %s:%lld: connected, logged in, mailbox %s selected\n", c.imap_host,
			       (long long)c.imap_port, c.imap_mailbox);
		}
	}
	fputs(buf_cstr(&err), stderr);
	if (problems == 0)
		printf("configuration OK: %s, %d session file%s\n", config_path ? config_path : "embedded defaults",
		       c.sessions.n, c.sessions.n == 1 ? "" : "s");
	buf_free(&err);
	tagd_config_free(&c);
	return problems ? 1 : 0;
}

/* ---- safety of the state ---- */

static int check_not_world_writable(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		log_error("%s is writable by everyone: refusing to run (chmod o-w %s)", path, path);
		return -1;
	}
	return 0;
}

static int drop_privileges(const char *user)
{
	if (getuid() != 0 || user == NULL || *user == '\0')
		return 0;
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		log_error("[tagd] user %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		log_error_errno("cannot switch to user %s", user);
		return -1;
	}
	if (setuid(0) == 0) {
		log_error("could switch back to root after dropping privileges: refusing to run");
		return -1;
	}
	log_info("running as %s", user);
	return 0;
}

/* ---- the Maildir inbox ---- */

struct maildir_pass {
	struct daemon *d;
	int taken;
};

static int take_maildir_file(void *arg, const char *name, const char *raw, size_t len)
{
	struct maildir_pass *mp = arg;
	if (strstr(name, "/new/") == NULL)
		return 0; /* cur/ holds what was taken already */
	struct ingest_source src = { 0 };
	src.source = "maildir";
	src.ref = strrchr(name, '/') + 1;
	struct ingest_result r;
	const char *err;
	int a = ingest_archive(mp->d->in, raw, len, &src, &r, &err);
	ingest_result_free(&r);
	if (a < 0) {
		log_warn("maildir %s: not taken now: %s", name, err);
		return -1;
	}
	/* taken: move it to cur/ with the Seen flag, as a mail client would */
	char *cur = xstrdup(name);
	char *slash = strstr(cur, "/new/");
	memcpy(slash, "/cur/", 5);
	char *dst = xasprintf("%s:2,S", cur);
	if (rename(name, dst) < 0)
		log_warn_errno("maildir: cannot move %s to cur/", name);
	free(dst);
	free(cur);
	mp->taken++;
	mp->d->pending++;
	return stop_requested ? -1 : 0;
}

static int scan_maildir(struct daemon *d)
{
	if (d->maildir_in == NULL)
		return 0;
	struct maildir_pass mp = { d, 0 };
	const char *err;
	char *newdir = xasprintf("%s/new", d->maildir_in);
	int exists = access(newdir, F_OK) == 0;
	free(newdir);
	if (!exists)
		return 0;
	if (mailbox_read(d->maildir_in, (size_t)d->cfg.max_message_size, take_maildir_file, &mp, &err) < 0)
		log_warn("maildir %s: %s", d->maildir_in, err);
	return mp.taken;
}

/* ---- LMTP ---- */

static enum lmtp_verdict lmtp_rcpt(void *arg, const char *rcpt)
{
	struct daemon *d = arg;
	char *base, *tag;
	if (listaddr_split(rcpt, &base, &tag) < 0)
		return LMTP_REJECT;
	struct st_session s;
	int r = store_session_by_list(d->st, base, &s);
	free(base);
	free(tag);
	if (r == 0) {
		st_session_free(&s);
		return LMTP_OK;
	}
	return r < 0 ? LMTP_TEMPFAIL : LMTP_REJECT;
}

static enum lmtp_verdict lmtp_deliver(void *arg, const char *mail_from, const char *rcpt,
				      const char *data, size_t len, char *reason, size_t reasonlen)
{
	struct daemon *d = arg;
	const char *rcpts[1] = { rcpt };
	struct ingest_source src = { 0 };
	src.source = "lmtp";
	src.ref = mail_from;
	src.rcpts = rcpts;
	src.nrcpts = 1;
	struct ingest_result r;
	const char *err;
	int a = ingest_archive(d->in, data, len, &src, &r, &err);
	if (a >= 0)
		snprintf(reason, reasonlen, "%s message %lld", a == 1 ? "duplicate of" : "stored as",
			 (long long)r.message_row);
	ingest_result_free(&r);
	if (a < 0) {
		snprintf(reason, reasonlen, "%s", err);
		return store_last_full(d->st) ? LMTP_NOSPACE : LMTP_TEMPFAIL;
	}
	d->pending++;
	return LMTP_OK;
}

/* ---- HTTP: the one-click unsubscribe endpoint ---- */

static void http_request(void *arg, const struct http_request *rq, struct http_response *resp)
{
	struct daemon *d = arg;
	signup_web(d->st, rq, resp);
}

/* ---- IMAP, in its own thread ---- */

struct imap_tx {
	const char *account, *mailbox;
	uint32_t uidvalidity, uid;
};

static int imap_in_tx(void *arg, struct store *st)
{
	struct imap_tx *t = arg;
	return store_imap_state_set(st, t->account, t->mailbox, t->uidvalidity, t->uid);
}

static int imap_get_state(void *arg, const char *mailbox, uint32_t *v_r, uint32_t *uid_r)
{
	struct daemon *d = arg;
	return store_imap_state_get(d->imap_st, d->imap_account, mailbox, v_r, uid_r);
}

static int imap_deliver(void *arg, const char *mailbox, uint32_t v, uint32_t uid, const char *raw, size_t len)
{
	struct daemon *d = arg;
	char ref[64];
	snprintf(ref, sizeof(ref), "%s/%u/%u", mailbox, v, uid);
	struct imap_tx t = { d->imap_account, mailbox, v, uid };
	struct ingest_source src = { 0 };
	src.source = "imap";
	src.ref = ref;
	src.in_tx = imap_in_tx;
	src.arg = &t;
	struct ingest_result r;
	const char *err;
	/* the batch's messages share one transaction, committed by
	   imap_commit before the poller flags them: one fsync per batch */
	if (!d->imap_in_tx) {
		if (store_begin(d->imap_st) < 0) {
			log_warn("imap %s: not taken now: %s", ref, store_error(d->imap_st));
			return -1;
		}
		d->imap_in_tx = 1;
	}
	int a = ingest_archive_store(d->imap_st, raw, len, &src, &r, &err);
	ingest_result_free(&r);
	if (a < 0) {
		log_warn("imap %s: not taken now: %s", ref, err);
		return -1;
	}
	return 0;
}

/* imap_commit - the batch is durable; then the main loop processes it */
static int imap_commit(void *arg)
{
	struct daemon *d = arg;
	if (!d->imap_in_tx)
		return 0;
	d->imap_in_tx = 0;
	if (store_commit(d->imap_st) < 0) {
		log_warn("imap: the batch was not committed: %s", store_error(d->imap_st));
		store_rollback(d->imap_st);
		return -1;
	}
	wake();
	return 0;
}

static void imap_uidvalidity(void *arg, const char *mailbox, uint32_t old_v, uint32_t new_v)
{
	struct daemon *d = arg;
	(void)old_v; /* net/imap.c has logged the change */
	store_imap_state_set(d->imap_st, d->imap_account, mailbox, new_v, 0);
}

static void *imap_main(void *arg)
{
	struct daemon *d = arg;
	time_t last_poll = 0;
	char last_error[256] = "-";
	while (!stop_requested && !d->imap_stop) {
		imap_poller_step(d->imap, -1);
		/* keep what tagctl status shows up to date, without a write per IDLE wake */
		struct imap_status ist;
		imap_poller_status(d->imap, &ist);
		if (ist.last_poll != last_poll || strcmp(ist.last_error, last_error) != 0) {
			last_poll = ist.last_poll;
			snprintf(last_error, sizeof(last_error), "%s", ist.last_error);
			store_imap_status_set(d->imap_st, d->imap_account, d->imap_mailbox, last_poll, last_error);
		}
	}
	return NULL;
}

static int start_imap(struct daemon *d)
{
	if (d->cfg.imap_host == NULL || *d->cfg.imap_host == '\0')
		return 0;
	const char *err;
	if (store_open(d->db_path, &d->imap_st, &err) < 0) {
		log_error("%s", err);
		return -1;
	}
	store_set_gate(d->imap_st, d->gate);
	d->imap_account = xasprintf("%s@%s", d->cfg.imap_user, d->cfg.imap_host);
	d->imap_mailbox = xstrdup(d->cfg.imap_mailbox);
	struct imap_config ic;
	imap_config_of(&d->cfg, &ic);
	struct imap_callbacks cb = { imap_get_state, imap_deliver, imap_uidvalidity, d, imap_commit };
	d->imap = imap_poller_new(&ic, &cb);
	if (d->opts->once) {
		imap_poller_step(d->imap, 0);
		return 0;
	}
	if (pthread_create(&d->imap_thread, NULL, imap_main, d) != 0) {
		log_error("cannot start the IMAP thread");
		return -1;
	}
	d->imap_running = 1;
	log_info("imap: taking mail from %s@%s/%s", d->cfg.imap_user, d->cfg.imap_host, d->cfg.imap_mailbox);
	return 0;
}

static void stop_imap(struct daemon *d)
{
	if (d->imap_running) {
		d->imap_stop = 1;
		imap_poller_interrupt(d->imap);
		pthread_join(d->imap_thread, NULL);
		d->imap_running = 0;
	}
	imap_poller_free(&d->imap);
	store_close(&d->imap_st);
	free(d->imap_account);
	d->imap_account = NULL;
	free(d->imap_mailbox);
	d->imap_mailbox = NULL;
}

/* ---- the sender ---- */

static void kick_sender(struct daemon *d)
{
	if (!d->send_running)
		return;
	pthread_mutex_lock(&d->send_lock);
	d->send_kicks++;
	pthread_cond_broadcast(&d->send_cond);
	pthread_mutex_unlock(&d->send_lock);
}

static void *send_main(void *arg)
{
	struct send_worker *w = arg;
	struct daemon *d = w->d;
	while (!d->send_stop) {
		int n = sender_run(w->sender, 1000, &d->send_stop);
		if (n < 0)
			log_warn("sender: store error; trying again shortly");
		/* wait for the next due mail, a kick, or a second (simulated
		   clocks move fast) */
		time_t next = sender_next(w->sender);
		long wait_ms = 1000;
		if (n > 0 && next >= 0 && next <= clock_now())
			wait_ms = 0;
		pthread_mutex_lock(&d->send_lock);
		if (wait_ms > 0 && w->seen == d->send_kicks && !d->send_stop) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += wait_ms * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&d->send_cond, &d->send_lock, &ts);
		}
		w->seen = d->send_kicks;
		pthread_mutex_unlock(&d->send_lock);
	}
	return NULL;
}

static int start_sender(struct daemon *d)
{
	const char *err;
	/* several connections only to a smarthost; --once sends on one */
	int n = 1;
	if (!d->opts->once && d->cfg.smtp_url && *d->cfg.smtp_url)
		n = d->cfg.smtp_connections > MAX_SENDERS ? MAX_SENDERS : (int)d->cfg.smtp_connections;
	if (n < 1)
		n = 1;
	for (int k = 0; k < n; k++) {
		struct send_worker *w = &d->send_w[k];
		w->d = d;
		if (store_open(d->db_path, &w->st, &err) < 0) {
			log_error("%s", err);
			return -1;
		}
		store_set_gate(w->st, d->gate);
		d->nsend = k + 1;
		/* a commit per mail sent, without its fsync: a kill loses no
		   mark, a power loss may send a few mails again (bench/: the
		   fsync per mail held the sender to a quarter of smtp-source's
		   rate) */
		if (store_relax_sync(w->st) < 0)
			log_warn("sender: %s", store_error(w->st));
		w->sender = sender_new(w->st, &d->cfg, &err);
		if (w->sender == NULL) {
			log_error("sender: %s", err);
			return -1;
		}
		sender_set_part(w->sender, k, n);
	}
	if (d->opts->once)
		return 0;
	pthread_mutex_init(&d->send_lock, NULL);
	pthread_cond_init(&d->send_cond, NULL);
	for (int k = 0; k < d->nsend; k++) {
		if (pthread_create(&d->send_w[k].thread, NULL, send_main, &d->send_w[k]) != 0) {
			log_error("cannot start a sender thread");
			return -1;
		}
		d->send_running = k + 1;
	}
	return 0;
}

static void stop_sender(struct daemon *d)
{
	if (d->send_running) {
		d->send_stop = 1;
		kick_sender(d);
		for (int k = 0; k < d->send_running; k++)
			pthread_join(d->send_w[k].thread, NULL);
		d->send_running = 0;
		pthread_mutex_destroy(&d->send_lock);
		pthread_cond_destroy(&d->send_cond);
	}
	for (int k = 0; k < d->nsend; k++) {
		sender_free(&d->send_w[k].sender);
		store_close(&d->send_w[k].st);
	}
	d->nsend = 0;
}

/* ---- the loop ---- */

static void process_pending(struct daemon *d)
{
	int n = ingest_resume(d->in);
	if (n > 0)
		log_debug(LOG_SUB_MAIN, "processed %d message%s", n, n == 1 ? "" : "s");
	d->pending = 0;
}

static void reload(struct daemon *d)
{
	struct tagd_config fresh;
	struct buf err = BUF_INIT;
	if (tagd_config_load(&fresh, d->opts->config_path, &err) > 0) {
		log_error("reload: the config has errors; keeping the running one:\n%s", buf_cstr(&err));
		tagd_config_free(&fresh);
		buf_free(&err);
		return;
	}
	buf_free(&err);
	/* sources keep running as they are; what a reload changes is what the
	   next message or mail sees: sessions, templates, limits, filters */
	struct tagd_config old = d->cfg;
	d->cfg = fresh;
	free(fresh.database);
	d->cfg.database = xstrdup(old.database);
	tagd_config_free(&old);
	load_sessions(d);
	render_cache_clear();
	const char *e;
	/* the parser child stays: forking now, with threads running, is unsafe */
	if (ingest_reconfigure(d->in, &d->cfg, &e) < 0)
		log_error("reload: %s; filters and names unchanged", e);
	schedule_reload(d->sched, &d->cfg);
	log_info("configuration and templates reloaded");
}

static int run_loop(struct daemon *d)
{
	struct pollfd fds[MAX_POLL_FDS];
	long next_scan = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (stop_requested)
			break;
		if (reload_requested) {
			reload_requested = 0;
			reload(d);
		}
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= next_scan) {
			scan_maildir(d);
			next_scan = ms + MAILDIR_SCAN_MS;
		}
		process_pending(d);
		schedule_run(d->sched, clock_now());
		kick_sender(d);
		if (d->opts->until && clock_now() >= d->opts->until)
			break;
		if (d->opts->once) {
			/* send what is due, as the sender thread would */
			while (sender_run(d->send_w[0].sender, 1000, NULL) > 0)
				;
			break;
		}
		int timeout = MAILDIR_SCAN_MS;
		size_t nfds = 0;
		fds[nfds].fd = wake_pipe[0];
		fds[nfds].events = POLLIN;
		nfds++;
		if (d->lmtp)
			nfds += lmtp_server_fds(d->lmtp, fds + nfds, MAX_POLL_FDS - nfds, &timeout);
		size_t nlmtp = nfds - 1;
		if (d->http)
			nfds += http_server_fds(d->http, fds + nfds, MAX_POLL_FDS - nfds, &timeout);
		int r = poll(fds, nfds, timeout);
		if (r < 0 && errno != EINTR) {
			log_error_errno("poll");
			return -1;
		}
		if (r > 0 && (fds[0].revents & POLLIN)) {
			char drain[64];
			while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
				;
			d->pending++;
		}
		if (d->lmtp)
			lmtp_server_handle(d->lmtp, fds + 1, nlmtp);
		if (d->http)
			http_server_handle(d->http, fds + 1 + nlmtp, nfds - 1 - nlmtp);
	}
	return 0;
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon d;
	memset(&d, 0, sizeof(d));
	d.opts = o;
	if (load_config(&d, o->config_path) < 0)
		return 1;
	if (o->debug) {
		const char *bad;
		int mask = log_debug_mask_parse(o->debug, &bad);
		if (mask < 0) {
			log_error("unknown debug subsystem '%s'", bad);
			return 2;
		}
		log_set_debug(mask);
	} else if (d.cfg.debug && *d.cfg.debug) {
		const char *bad;
		int mask = log_debug_mask_parse(d.cfg.debug, &bad);
		if (mask < 0)
			log_warn("[log] debug: unknown subsystem '%s'", bad);
		else
			log_set_debug(mask);
	}
	if (d.cfg.syslog || o->background)
		log_open("tagd", 1);
	if (o->clock_start)
		clock_simulate(o->clock_start, o->clock_speed > 0 ? o->clock_speed : 1.0);
	int rc = 1;
	if (smtp_global_init() < 0)
		return 1;
	/* libical: set up once, on this thread, before any other starts */
	const char *cerr;
	if (call_init(&cerr) < 0) {
		log_error("calendar support: %s", cerr);
		smtp_global_cleanup();
		return 1;
	}
	d.db_path = o->db_path ? xstrdup(o->db_path) : tagd_config_path(&d.cfg, d.cfg.database);
	if (pipe(wake_pipe) < 0)
		log_fatal_errno("pipe");
	fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK);
	fcntl(wake_pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(wake_pipe[1], F_SETFD, FD_CLOEXEC);
	setup_signals();
	if (d.cfg.state_dir && *d.cfg.state_dir && !o->db_path) {
		if (mkdir(d.cfg.state_dir, 0750) < 0 && errno != EEXIST) {
			log_error_errno("cannot create the state directory %s", d.cfg.state_dir);
			goto out;
		}
		if (check_not_world_writable(d.cfg.state_dir) < 0)
			goto out;
	}
	/* what needs root comes first: the listener, then the privileges go */
	if (d.cfg.lmtp_listen && *d.cfg.lmtp_listen) {
		const char *err;
		d.lmtp = lmtp_server_new(d.cfg.lmtp_listen, (size_t)d.cfg.max_message_size, lmtp_rcpt,
					 lmtp_deliver, &d, &err);
		if (d.lmtp == NULL) {
			log_error("lmtp %s: %s", d.cfg.lmtp_listen, err);
			goto out;
		}
		struct lmtp_limits lim = { 0 };
		lim.hostname = d.cfg.hostname;
		lmtp_server_set_limits(d.lmtp, &lim);
		log_info("lmtp: listening on %s", lmtp_server_address(d.lmtp));
	}
	if (!o->once && d.cfg.web_url && *d.cfg.web_url && d.cfg.http_listen && *d.cfg.http_listen) {
		const char *err;
		d.http = http_server_new(d.cfg.http_listen, http_request, &d, &err);
		if (d.http == NULL) {
			log_error("http %s: %s", d.cfg.http_listen, err);
			goto out;
		}
		struct http_limits hl = { 0 };
		hl.timeout_ms = (int)d.cfg.http_timeout * 1000;
		hl.max_conns = (size_t)d.cfg.http_max_conns;
		/* the poll array holds the wake pipe, LMTP's and HTTP's descriptors */
		size_t used = 2 + (d.lmtp ? lmtp_server_max_fds(d.lmtp) : 0);
		size_t room = used < MAX_POLL_FDS ? MAX_POLL_FDS - used : 1;
		if (hl.max_conns > room)
			hl.max_conns = room;
		http_server_set_limits(d.http, &hl);
		log_info("http: one-click unsubscribe on %s (public address %s)", http_server_address(d.http),
			 d.cfg.web_url);
	}
	if (drop_privileges(d.cfg.user) < 0)
		goto out;
	if (o->background) {
		if (daemon(0, 0) < 0) {
			log_error_errno("cannot go to the background");
			goto out;
		}
	}
	if (d.cfg.pid_file && *d.cfg.pid_file) {
		FILE *f = fopen(d.cfg.pid_file, "w");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		} else {
			log_warn_errno("cannot write %s", d.cfg.pid_file);
		}
	}
	const char *err;
	if (store_open(d.db_path, &d.st, &err) < 0) {
		log_error("%s", err);
		goto out;
	}
	d.gate = store_gate_new(0);
	store_set_gate(d.st, d.gate);
	if (check_not_world_writable(d.db_path) < 0)
		goto out;
	if (load_sessions(&d) < 0)
		log_warn("some session files could not be loaded (see above); going on with the rest");
	d.in = ingest_new(d.st, &d.cfg, &err);
	if (d.in == NULL) {
		log_error("%s", err);
		goto out;
	}
	d.sched = schedule_new(d.st, &d.cfg);
	if (d.cfg.maildir_in && *d.cfg.maildir_in)
		d.maildir_in = tagd_config_path(&d.cfg, d.cfg.maildir_in);
	if (start_imap(&d) < 0 || start_sender(&d) < 0)
		goto out;
	/* what a crash left archived but not processed */
	int resumed = ingest_resume(d.in);
	if (resumed > 0)
		log_info("processed %d message%s left from before", resumed, resumed == 1 ? "" : "s");
	log_info("tagd %s started (database %s)", PACKAGE_VERSION, d.db_path);
	rc = run_loop(&d) < 0 ? 1 : 0;
	if (stop_requested)
		log_info("stopping on signal %d", (int)stop_requested);
	else
		log_info("stopping");
out:
	stop_imap(&d);
	stop_sender(&d);
	lmtp_server_free(&d.lmtp);
	http_server_free(&d.http);
	ingest_free(&d.in);
	schedule_free(&d.sched);
	store_close(&d.st);
	store_gate_free(&d.gate);
	free(d.maildir_in);
	free(d.db_path);
	tagd_config_free(&d.cfg);
	close(wake_pipe[0]);
	close(wake_pipe[1]);
	wake_pipe[0] = wake_pipe[1] = -1;
	smtp_global_cleanup();
	call_shutdown();
	return rc;
}
