/* test-store - open, migrate, refuse newer, sessions, participants, revisions, locking */
#include "config.h"
#include "tap.h"
#include "store/store.h"
#include "lib/xalloc.h"
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/tagd-test-store-XXXXXX";

static char *db_path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static int raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int v = -1;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) == SQLITE_OK)
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
}

static void test_open(void)
{
	char *p = db_path("a.db");
	struct store *st = NULL;
	const char *err = NULL;
	ok(store_open(p, &st, &err) == 0, "open creates a database");
	is_int(store_schema_version(st), STORE_SCHEMA_VERSION, "schema at the latest version");
	store_close(&st);
	ok(st == NULL, "close clears the pointer");
	sqlite3 *db;
	sqlite3_open(p, &db);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL);
	sqlite3_step(s);
	is_str((const char *)sqlite3_column_text(s, 0), "wal", "database is in WAL mode");
	sqlite3_finalize(s);
	sqlite3_close(db);

	raw_exec(p, "PRAGMA user_version=99");
	ok(store_open(p, &st, &err) < 0, "a newer database is refused");
	ok(err && strstr(err, "newer than this tagd"), "with a clear error: %s", err ? err : "");
	free(p);
}

static void test_migrate(void)
{
	char *p = db_path("v1.db");
	struct store *st = NULL;
	const char *err;
	ok(store_open_version(p, 1, &st, &err) == 0 && store_schema_version(st) == 1,
	   "a database of the first schema can be made");
	store_close(&st);
	raw_exec(p, "INSERT INTO session (slug,title,list_addr,timezone,opens,closes,digest_at,source,created)"
		    " VALUES ('old','Old','old@x.org','UTC','2018-01-01','2018-01-05',1020,'',1)");
	is_int(raw_int(p, "SELECT count(*) FROM sqlite_master WHERE name='outbox'"), 0, "v1 has no outbox");
	ok(store_open(p, &st, &err) == 0, "opening it with this build upgrades it");
	is_int(store_schema_version(st), STORE_SCHEMA_VERSION, "now at the latest version");
	struct st_session ses;
	ok(store_session_get(st, "old", &ses) == 0 && strcmp(ses.title, "Old") == 0, "its data survived");
	st_session_free(&ses);
	store_close(&st);
	is_int(raw_int(p, "SELECT count(*) FROM sqlite_master WHERE name='outbox'"), 1, "v2 tables exist");
	is_int(raw_int(p, "PRAGMA foreign_key_check"), -1, "no foreign key violations");
	free(p);
}

static int64_t make_session(struct store *st, const char *slug, const char *list)
{
	struct st_person orgs[2] = { { "Katherine Casey", "kcasey@consulting.example.com" },
				     { "CompetencyWorks", "tags@competencyworks.example.org" } };
	char *goals[2] = { "Goal one", "Goal two" };
	struct st_session s = { 0 };
	s.slug = (char *)slug;
	s.title = "Professional Learning";
	s.list_addr = (char *)list;
	s.timezone = "America/New_York";
	s.opens = "2018-07-16";
	s.closes = "2018-07-20";
	s.digest_at = 17 * 60;
	s.min_years = 1;
	s.source = "[session]\n";
	s.organizers = orgs;
	s.norganizers = 2;
	s.goals = goals;
	s.ngoals = 2;
	int64_t id = 0;
	store_session_put(st, &s, &id);
	return id;
}

static void test_sessions_participants(struct store *st)
{
	int64_t id = make_session(st, "prof-learning", "tag-prof-learning@tags.example.org");
	ok(id > 0, "session stored");
	ok(make_session(st, "prof-learning", "tag-prof-learning@tags.example.org") == id,
	   "storing the same slug again updates it");
	struct st_session s;
	ok(store_session_by_list(st, "TAG-Prof-Learning@TAGS.example.org", &s) == 0 && s.id == id,
	   "found by list address in any case");
	ok(s.norganizers == 2 && s.ngoals == 2 && strcmp(s.goals[1], "Goal two") == 0,
	   "organizers and goals kept, not doubled");
	st_session_free(&s);
	ok(store_session_get(st, "nope", &s) == 1, "unknown slug is not found");

	struct st_participant p = { 0 };
	p.session_id = id;
	p.email = "Ana.Ruiz@District9.example.org";
	p.name = "Ana Ruiz";
	p.years = 6;
	int64_t pid;
	is_int(store_participant_add(st, &p, &pid), 0, "participant added");
	p.email = "ana.ruiz@district9.example.org";
	is_int(store_participant_add(st, &p, NULL), 1, "the same address in other case is the same person");
	struct st_participant got;
	ok(store_participant_get(st, id, "ANA.RUIZ@district9.example.org", &got) == 0 && got.id == pid &&
	   got.years == 6 && strcmp(got.mode, "digest") == 0 && strcmp(got.status, "active") == 0,
	   "lookup is case-insensitive; defaults digest/active");
	st_participant_free(&got);
	int kept = -1;
	ok(store_participant_remove(st, id, "ana.ruiz@district9.example.org", &kept) == 0 && kept == 0,
	   "participant without comments is removed");
	ok(store_participant_get(st, id, "ana.ruiz@district9.example.org", &got) == 1, "and is gone");
}

static void test_revisions(struct store *st)
{
	struct st_session s;
	store_session_get(st, "prof-learning", &s);
	struct st_block b[3] = {
		{ 0, 0, 0, "heading", 1, "Title", NULL, NULL },
		{ 1, 1, 0, "paragraph", 0, "First.", NULL, "new" },
		{ 2, 2, 0, "paragraph", 0, "Second.", NULL, "new" },
	};
	int rev = 0;
	ok(store_revision_add(st, s.id, "# Title\n\nFirst.\n\nSecond.\n", b, 3, NULL, 0, &rev) == 0 && rev == 1,
	   "first revision is 1");
	ok(b[1].paragraph_id > 0 && b[2].paragraph_id > b[1].paragraph_id && b[0].paragraph_id == 0,
	   "numbered blocks got paragraph ids, the heading none");
	int64_t p1 = b[1].paragraph_id, p2 = b[2].paragraph_id;
	/* revision 2: a new paragraph in front, the old two shift, the first retired */
	struct st_block c[2] = {
		{ 0, 1, 0, "paragraph", 0, "Zero.", NULL, "new" },
		{ 1, 2, p2, "paragraph", 0, "Second.", NULL, "unchanged" },
	};
	ok(store_revision_add(st, s.id, "Zero.\n\nSecond.\n", c, 2, &p1, 1, &rev) == 0 && rev == 2,
	   "second revision is 2");
	int n;
	ok(store_paragraph_number(st, s.id, 1, p2, &n) == 0 && n == 2, "p2 is ¶2 in revision 1");
	ok(store_paragraph_number(st, s.id, 2, p2, &n) == 0 && n == 2, "p2 is ¶2 in revision 2");
	ok(store_paragraph_number(st, s.id, 2, p1, &n) == 0 && n == 0, "p1 is not in revision 2");
	int64_t pid;
	ok(store_paragraph_id(st, s.id, 2, 1, &pid) == 0 && pid == c[0].paragraph_id, "¶1 of revision 2 maps back");
	ok(store_paragraph_id(st, s.id, 2, 9, &pid) == 1, "¶9 of revision 2 does not exist");
	struct st_block *list;
	int nb;
	ok(store_revision_blocks(st, s.id, 1, &list, &nb) == 0 && nb == 3 && strcmp(list[2].text, "Second.") == 0,
	   "blocks of revision 1 read back in order");
	st_block_list_free(&list, nb);
	int cur;
	ok(store_revision_current(st, s.id, &cur) == 0 && cur == 2, "current revision is 2");
	st_session_free(&s);
}

static void test_nested(struct store *st)
{
	struct st_session s;
	store_session_get(st, "prof-learning", &s);
	struct st_participant p = { 0 };
	p.session_id = s.id;
	ok(store_begin(st) == 0, "outer transaction");
	p.email = "outer@x.org";
	store_participant_add(st, &p, NULL);
	ok(store_begin(st) == 0, "inner transaction (savepoint)");
	p.email = "inner@x.org";
	store_participant_add(st, &p, NULL);
	store_rollback(st);
	p.email = "after@x.org";
	store_participant_add(st, &p, NULL);
	ok(store_commit(st) == 0, "outer commit");
	struct st_participant got;
	ok(store_participant_get(st, s.id, "outer@x.org", &got) == 0, "outer work kept");
	st_participant_free(&got);
	ok(store_participant_get(st, s.id, "inner@x.org", &got) == 1, "inner rollback undid only the inner work");
	ok(store_participant_get(st, s.id, "after@x.org", &got) == 0, "work after the inner rollback kept");
	st_participant_free(&got);
	st_session_free(&s);
}

static void test_concurrent_writers(void)
{
	char *p = db_path("busy.db");
	struct store *a, *b;
	const char *err;
	store_open(p, &a, &err);
	make_session(a, "busy", "busy@x.org");
	pid_t pid = fork();
	if (pid == 0) {
		struct store *c;
		if (store_open(p, &c, &err) < 0)
			_exit(2);
		store_begin(c);
		usleep(1500 * 1000); /* hold the write lock for 1.5 s */
		store_commit(c);
		store_close(&c);
		_exit(0);
	}
	usleep(300 * 1000);
	store_open(p, &b, &err);
	int64_t sid = make_session(b, "busy2", "busy2@x.org");
	ok(sid > 0, "a writer waits for another process's transaction instead of failing");
	int status;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the other writer finished");
	store_close(&a);
	store_close(&b);
	free(p);
}


/* ---- the write gate: one process's connections take turns, first come,
   first served; a connection that commits and begins again at once goes
   behind those already waiting ---- */

static pthread_mutex_t order_mu = PTHREAD_MUTEX_INITIALIZER;
static char order[16];

struct gate_writer {
	struct store *st;
	char name;
	int begun;              /* store_begin's result */
};

static void *gate_writer_main(void *arg)
{
	struct gate_writer *w = arg;
	w->begun = store_begin(w->st);
	if (w->begun == 0) {
		pthread_mutex_lock(&order_mu);
		size_t n = strlen(order);
		if (n + 1 < sizeof(order))
			order[n] = w->name;
		pthread_mutex_unlock(&order_mu);
		char slug[16];
		snprintf(slug, sizeof(slug), "gate-%c", w->name);
		make_session(w->st, slug, slug);
		usleep(30 * 1000);
		store_commit(w->st);
	}
	return NULL;
}

struct gate_marker {
	struct store *st;
	int r;                  /* store_outbox_update's result */
};

/* gate_marker_main - a write outside any transaction, as the sender's
   "sent" mark is */
static void *gate_marker_main(void *arg)
{
	struct gate_marker *m = arg;
	m->r = store_outbox_update(m->st, 999999, "sent", 1, 0, NULL, 0);
	return NULL;
}

/* wait_waiting - until n connections wait at st's gate (at most 5 s) */
static int wait_waiting(struct store *st, int n)
{
	for (int i = 0; i < 500; i++) {
		if (store_gate_waiting(st) == n)
			return 1;
		usleep(10 * 1000);
	}
	return 0;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_gate(void)
{
	char *p = db_path("gate.db");
	struct store *a, *b, *c;
	const char *err;
	if (store_open(p, &a, &err) < 0 || store_open(p, &b, &err) < 0 || store_open(p, &c, &err) < 0) {
		ok(0, "open gate.db three times: %s", err);
		free(p);
		return;
	}
	struct store_gate *g = store_gate_new(0);
	store_set_gate(a, g);
	store_set_gate(b, g);
	store_set_gate(c, g);
	ok(store_gate_waiting(a) == 0, "nobody waits at a new gate");

	ok(store_begin(a) == 0, "the first connection has its turn at once");
	pthread_mutex_lock(&order_mu);
	order[0] = 'a';
	order[1] = 0;
	pthread_mutex_unlock(&order_mu);
	struct gate_writer wb = { b, 'b', -2 }, wc = { c, 'c', -2 };
	pthread_t tb, tc;
	pthread_create(&tb, NULL, gate_writer_main, &wb);
	ok(wait_waiting(a, 1), "a second connection waits at the gate, not in SQLite's busy loop");
	pthread_create(&tc, NULL, gate_writer_main, &wc);
	ok(wait_waiting(a, 2), "a third waits behind it");
	make_session(a, "gate-a", "gate-a");
	ok(store_commit(a) == 0, "the first commits");
	/* at once again: the turn is b's and then c's, not a's */
	ok(store_begin(a) == 0, "the first begins again, after the others");
	pthread_mutex_lock(&order_mu);
	size_t n = strlen(order);
	if (n + 1 < sizeof(order))
		order[n] = 'a';
	pthread_mutex_unlock(&order_mu);
	make_session(a, "gate-a2", "gate-a2");
	ok(store_commit(a) == 0, "and commits");
	pthread_join(tb, NULL);
	pthread_join(tc, NULL);
	ok(wb.begun == 0 && wc.begun == 0, "both waiting connections had their turn");
	ok(strcmp(order, "abca") == 0, "turns in the order of arrival (got %s)", order);
	ok(raw_int(p, "SELECT count(*) FROM session WHERE slug LIKE 'gate-%'") == 4, "every turn's work committed");

	/* nested transactions take no new turn; a rollback passes it on */
	ok(store_begin(a) == 0 && store_begin(a) == 0, "a savepoint inside a turn");
	store_rollback(a);
	memset(order, 0, sizeof(order));
	wb.begun = -2;
	pthread_create(&tb, NULL, gate_writer_main, &wb);
	ok(wait_waiting(a, 1), "the inner rollback keeps the turn: another connection waits");
	store_rollback(a);
	pthread_join(tb, NULL);
	ok(wb.begun == 0 && strcmp(order, "b") == 0, "the outer rollback passed the turn on (%d, %s)", wb.begun, order);

	/* a write outside a transaction takes its turn too (the sender's
	   mark met the others in SQLite's busy loop, where it could wait for
	   as long as mail kept coming); a read does not wait */
	ok(store_begin(a) == 0, "a has the turn again");
	struct gate_marker mk = { b, -2 };
	pthread_create(&tb, NULL, gate_marker_main, &mk);
	ok(wait_waiting(a, 1), "a single write outside a transaction waits at the gate");
	int counts[5];
	ok(store_outbox_counts(c, 1, counts) == 0 && store_gate_waiting(a) == 1,
	   "a read on a third connection goes on meanwhile, without a turn");
	ok(mk.r == -2, "the write has not run during a's turn");
	store_commit(a);
	pthread_join(tb, NULL);
	ok(mk.r == 1, "after a's commit it ran (no such row: %d)", mk.r);
	ok(store_begin(b) == 0, "and passed the turn on: b begins");
	store_commit(b);
	store_close(&a);
	store_close(&b);
	store_close(&c);
	store_gate_free(&g);

	/* a turn that does not come: store_begin fails, said as such */
	g = store_gate_new(200);
	store_open(p, &a, &err);
	store_open(p, &b, &err);
	store_set_gate(a, g);
	store_set_gate(b, g);
	store_begin(a);
	double t0 = mono_s();
	int r = store_begin(b);
	double waited = mono_s() - t0;
	ok(r < 0, "no turn within the gate's timeout: store_begin fails");
	ok(waited >= 0.15 && waited < 3.0, "after about the timeout (%.2f s)", waited);
	ok(strstr(store_error(b), "turn to write") != NULL, "store_error says why: %s", store_error(b));
	ok(store_gate_waiting(a) == 0, "the one that gave up left the queue");
	t0 = mono_s();
	r = store_outbox_update(b, 999999, "sent", 1, 0, NULL, 0);
	waited = mono_s() - t0;
	ok(r < 0 && waited >= 0.15 && strstr(store_error(b), "turn to write") != NULL,
	   "a write outside a transaction without its turn fails, said as such (%.2f s: %s)", waited,
	   store_error(b));
	ok(store_gate_waiting(a) == 0, "and left the queue");
	store_commit(a);
	ok(store_begin(b) == 0, "its next store_begin has the turn");
	ok(strstr(store_error(b), "turn to write") == NULL, "and the old error is gone");
	store_commit(b);
	store_close(&a);
	/* closing a connection in a transaction passes its turn on */
	store_begin(b);
	store_close(&b);
	store_open(p, &a, &err);
	store_set_gate(a, g);
	ok(store_begin(a) == 0, "a connection closed in its turn passed it on");
	store_commit(a);
	store_close(&a);
	store_gate_free(&g);
	free(p);
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	test_open();
	test_migrate();
	char *p = db_path("main.db");
	struct store *st;
	const char *err;
	if (store_open(p, &st, &err) < 0) {
		ok(0, "open main db: %s", err);
		return done_testing();
	}
	test_sessions_participants(st);
	test_revisions(st);
	test_nested(st);
	store_close(&st);
	free(p);
	test_concurrent_writers();
	test_gate();
	char *cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	free(cmd);
	return done_testing();
}
