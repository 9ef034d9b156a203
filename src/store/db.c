#include "config.h"
#include "store/db_internal.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000
#define BUSY_RETRIES 24         /* x 5 s: two minutes before giving up */

static int gate_enter(struct store_gate *g);
static void gate_leave(struct store *st);

int st_fail(struct store *st, int rc)
{
	st->last_rc = rc;
	return -1;
}

const char *store_error(struct store *st)
{
	if (st->gate_timed_out)
		return "database is locked (another thread of tagd kept its turn to write)";
	return sqlite3_errmsg(st->db);
}

int store_last_full(struct store *st)
{
	return (st->last_rc & 0xff) == SQLITE_FULL || (st->last_rc & 0xff) == SQLITE_IOERR;
}

const char *store_path(const struct store *st)
{
	return st->path;
}

static int is_busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

int st_step(struct store *st, sqlite3_stmt *s)
{
	int rc;
	/* a write outside a transaction on a gated connection (the sender's
	   "sent" mark) takes its turn like a transaction: else it met the
	   other threads' transactions in SQLite's busy handler, and as the
	   gate's holders yield only to the gate's waiters, it could wait
	   there for as long as mail kept coming */
	int turn = 0;
	if (st->gate != NULL && !st->gate_held && st->depth == 0 && !sqlite3_stmt_readonly(s)) {
		if (gate_enter(st->gate) < 0) {
			st->gate_timed_out = 1;
			st->last_rc = SQLITE_BUSY;
			log_error("store: no turn to write: another thread of tagd kept it (%s)",
				  sqlite3_sql(s));
			return SQLITE_BUSY;
		}
		st->gate_timed_out = 0;
		st->gate_held = 1;
		turn = 1;
	}
	for (int i = 0; i < BUSY_RETRIES; i++) {
		rc = sqlite3_step(s);
		if (!is_busy(rc))
			break;
		log_debug(LOG_SUB_STORE, "database busy, waiting (%d)", i + 1);
		sqlite3_reset(s);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		st->last_rc = rc;
		log_error("store: %s (%s)", sqlite3_errmsg(st->db), sqlite3_sql(s));
	}
	if (turn)
		gate_leave(st);
	return rc;
}

int st_exec(struct store *st, const char *sql)
{
	char *err = NULL;
	int rc;
	for (int i = 0; i < BUSY_RETRIES; i++) {
		sqlite3_free(err);
		err = NULL;
		rc = sqlite3_exec(st->db, sql, NULL, NULL, &err);
		if (!is_busy(rc))
			break;
	}
	if (rc != SQLITE_OK) {
		st->last_rc = rc;
		log_error("store: %s", err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

sqlite3_stmt *st_prepare(struct store *st, const char *sql)
{
	for (int i = 0; i < st->ncache; i++) {
		if (st->cache[i].sql == sql) {
			sqlite3_stmt *s = st->cache[i].stmt;
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return s;
		}
	}
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
	if (rc != SQLITE_OK) {
		st->last_rc = rc;
		log_error("store: cannot prepare: %s: %s", sqlite3_errmsg(st->db), sql);
		return NULL;
	}
	if (st->ncache < STMT_CACHE) {
		st->cache[st->ncache].sql = sql;
		st->cache[st->ncache].stmt = s;
		st->ncache++;
	} else {
		log_panic("store: statement cache full; raise STMT_CACHE");
	}
	return s;
}

void st_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

void st_bind_int(sqlite3_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(s, i, v);
}

void st_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n)
{
	sqlite3_bind_blob64(s, i, p ? p : "", n, SQLITE_TRANSIENT);
}

char *st_col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	if (t == NULL)
		return NULL;
	return xmemdup0(t, (size_t)sqlite3_column_bytes(s, i));
}

static int pragma_text(struct store *st, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && out)
		snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_schema_version(struct store *st)
{
	char v[32] = "0";
	pragma_text(st, "PRAGMA user_version", v, sizeof(v));
	int n = 0;
	for (const char *c = v; *c >= '0' && *c <= '9'; c++)
		n = n * 10 + (*c - '0');
	return n;
}

int store_open_version(const char *path, int version, struct store **st_r, const char **error_r)
{
	static char err[512];
	struct store *st = xcalloc(1, sizeof(*st));
	int rc = sqlite3_open_v2(path, &st->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, sizeof(err), "cannot open database %s: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		sqlite3_close(st->db);
		free(st);
		*error_r = err;
		return -1;
	}
	st->path = xstrdup(path);
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	char mode[32] = "";
	if (pragma_text(st, "PRAGMA journal_mode=WAL", mode, sizeof(mode)) < 0 ||
	    strcmp(mode, "wal") != 0) {
		snprintf(err, sizeof(err), "cannot use database %s: %s", path,
			 mode[0] ? "WAL journal mode refused" : sqlite3_errmsg(st->db));
		store_close(&st);
		*error_r = err;
		return -1;
	}
	/* temp_store=MEMORY: the statement journal of every savepoint (each
	   message is processed in one) went to a file in /var/tmp; bench/:
	   160 MB written for 2,000 messages whose database is 25 MB */
	if (st_exec(st, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;") < 0) {
		snprintf(err, sizeof(err), "cannot set up database %s", path);
		store_close(&st);
		*error_r = err;
		return -1;
	}
	if (store_migrate(st, version, error_r) < 0) {
		store_close(&st);
		return -1;
	}
	*st_r = st;
	return 0;
}

int store_open(const char *path, struct store **st_r, const char **error_r)
{
	return store_open_version(path, STORE_SCHEMA_VERSION, st_r, error_r);
}

void store_close(struct store **stp)
{
	struct store *st = *stp;
	if (st == NULL)
		return;
	gate_leave(st);
	for (int i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	if (st->db && sqlite3_close(st->db) != SQLITE_OK)
		log_warn("store: close: %s", sqlite3_errmsg(st->db));
	free(st->path);
	free(st);
	*stp = NULL;
}

int store_relax_sync(struct store *st)
{
	return st_exec(st, "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0");
}

int store_checkpoint(struct store *st)
{
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK && !is_busy(rc)) {
		st->last_rc = rc;
		log_error("store: checkpoint: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}


/* ---------------------------------------------------------------- */
/* The write gate (db.h): a queue of waiters in the order they came */

struct gate_waiter {
	struct gate_waiter *next;
};

struct store_gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;              /* the turn passed on, or a waiter left */
	int busy;                       /* a connection has the turn */
	int nwait;
	int64_t timeout_ms;
	struct gate_waiter *head, **tail;
};

struct store_gate *store_gate_new(int timeout_ms)
{
	struct store_gate *g = xcalloc(1, sizeof(*g));
	g->timeout_ms = timeout_ms > 0 ? timeout_ms : (int64_t)BUSY_TIMEOUT_MS * BUSY_RETRIES;
	pthread_condattr_t ca;
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	g->tail = &g->head;
	return g;
}

void store_gate_free(struct store_gate **gp)
{
	struct store_gate *g = *gp;
	if (g == NULL)
		return;
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
	*gp = NULL;
}

void store_set_gate(struct store *st, struct store_gate *g)
{
	if (st->depth > 0)
		log_panic("store_set_gate inside a transaction");
	st->gate = g;
}

int store_gate_waiting(struct store *st)
{
	struct store_gate *g = st->gate;
	if (g == NULL)
		return 0;
	pthread_mutex_lock(&g->mu);
	int w = g->nwait;
	pthread_mutex_unlock(&g->mu);
	return w;
}

/* gate_enter - wait for this connection's turn, at most the gate's
   timeout; 0, or -1 when it did not come */
static int gate_enter(struct store_gate *g)
{
	int64_t timeout_ms = g->timeout_ms;
	pthread_mutex_lock(&g->mu);
	if (!g->busy && g->head == NULL) {
		g->busy = 1;
		pthread_mutex_unlock(&g->mu);
		return 0;
	}
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(timeout_ms / 1000);
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	struct gate_waiter me = { NULL };
	*g->tail = &me;
	g->tail = &me.next;
	g->nwait++;
	int r = 0;
	while (g->busy || g->head != &me) {
		int e = pthread_cond_timedwait(&g->cv, &g->mu, &until);
		if (e == ETIMEDOUT && (g->busy || g->head != &me)) {
			r = -1;
			break;
		}
	}
	/* out of the queue, whether its turn came or not */
	struct gate_waiter **pp = &g->head;
	while (*pp != &me)
		pp = &(*pp)->next;
	*pp = me.next;
	if (g->tail == &me.next)
		g->tail = pp;
	g->nwait--;
	if (r == 0)
		g->busy = 1;
	else
		pthread_cond_broadcast(&g->cv); /* the next may be at the head now */
	pthread_mutex_unlock(&g->mu);
	return r;
}

/* gate_leave - pass the turn on */
static void gate_leave(struct store *st)
{
	struct store_gate *g = st->gate;
	if (!st->gate_held || g == NULL)
		return;
	st->gate_held = 0;
	pthread_mutex_lock(&g->mu);
	g->busy = 0;
	if (g->head != NULL)
		pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* The transaction statements, prepared once (a parse per message was a
   twentieth of ingest). Savepoints deeper than these use st_exec. */
static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char *const sql_savepoint[] = { NULL, "SAVEPOINT s1", "SAVEPOINT s2", "SAVEPOINT s3",
					     "SAVEPOINT s4", "SAVEPOINT s5", "SAVEPOINT s6" };
static const char *const sql_release[] = { NULL, "RELEASE s1", "RELEASE s2", "RELEASE s3",
					   "RELEASE s4", "RELEASE s5", "RELEASE s6" };
#define TX_PREPARED ((int)(sizeof(sql_savepoint) / sizeof(sql_savepoint[0])))

/* tx_run - run a prepared transaction statement (busy retries and the
   error log as st_step); 0 or -1 */
static int tx_run(struct store *st, const char *sql)
{
	sqlite3_stmt *s = st_prepare(st, sql);
	if (s == NULL)
		return -1;
	int rc = st_step(st, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_begin(struct store *st)
{
	if (st->depth > 0) {
		/* nested: a savepoint, so an inner failure undoes only itself */
		int r;
		if (st->depth < TX_PREPARED) {
			r = tx_run(st, sql_savepoint[st->depth]);
		} else {
			char sql[32];
			snprintf(sql, sizeof(sql), "SAVEPOINT s%d", st->depth);
			r = st_exec(st, sql);
		}
		if (r < 0)
			return -1;
		st->depth++;
		return 0;
	}
	st->gate_timed_out = 0;
	if (st->gate != NULL) {
		if (gate_enter(st->gate) < 0) {
			st->gate_timed_out = 1;
			st->last_rc = SQLITE_BUSY;
			log_warn("store: no turn to write within %.1f s: another thread of tagd kept it",
				 (double)st->gate->timeout_ms / 1000.0);
			return -1;
		}
		st->gate_held = 1;
	}
	if (tx_run(st, sql_begin) < 0) {
		gate_leave(st);
		return -1;
	}
	st->depth = 1;
	return 0;
}

int store_commit(struct store *st)
{
	if (st->depth == 0)
		log_panic("store_commit without store_begin");
	if (st->depth > 1) {
		st->depth--;
		if (st->depth < TX_PREPARED)
			return tx_run(st, sql_release[st->depth]);
		char sql[32];
		snprintf(sql, sizeof(sql), "RELEASE s%d", st->depth);
		return st_exec(st, sql);
	}
	st->depth = 0;
	if (tx_run(st, sql_commit) < 0) {
		/* a failed COMMIT (disk full) leaves the transaction open: undo it */
		int rc = st->last_rc;
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->last_rc = rc;
		gate_leave(st);
		return -1;
	}
	gate_leave(st);
	return 0;
}

void store_rollback(struct store *st)
{
	if (st->depth == 0)
		return;
	if (st->depth > 1) {
		char sql[64];
		st->depth--;
		snprintf(sql, sizeof(sql), "ROLLBACK TO s%d; RELEASE s%d", st->depth, st->depth);
		int rc = st->last_rc;
		sqlite3_exec(st->db, sql, NULL, NULL, NULL);
		st->last_rc = rc;
		return;
	}
	st->depth = 0;
	int rc = st->last_rc;
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->last_rc = rc;
	gate_leave(st);
}

static const char sql_secret_get[] = "SELECT value FROM meta WHERE key = 'token_key'";
static const char sql_secret_put[] = "INSERT OR IGNORE INTO meta(key, value) VALUES ('token_key', ?)";

int store_secret(struct store *st, unsigned char key[32])
{
	for (int attempt = 0; attempt < 2; attempt++) {
		sqlite3_stmt *s = st_prepare(st, sql_secret_get);
		if (s == NULL)
			return -1;
		int rc = st_step(st, s);
		if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32) {
			memcpy(key, sqlite3_column_blob(s, 0), 32);
			sqlite3_reset(s);
			return 0;
		}
		sqlite3_reset(s);
		unsigned char fresh[32];
		if (getrandom(fresh, sizeof(fresh), 0) != (ssize_t)sizeof(fresh))
			log_fatal_errno("getrandom");
		s = st_prepare(st, sql_secret_put);
		if (s == NULL)
			return -1;
		st_bind_blob(s, 1, fresh, sizeof(fresh));
		rc = st_step(st, s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return st_fail(st, rc);
	}
	return -1;
}
