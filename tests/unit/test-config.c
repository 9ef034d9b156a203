/* test-config - session files and tagd.conf: values, defaults, errors with file:line */
#include "config.h"
#include "tap.h"
#include "tag/settings.h"
#include "tag/session.h"
#include "lib/xalloc.h"
#include <stdlib.h>

static void test_fixture_session(void)
{
	struct session_conf sc;
	struct buf err = BUF_INIT;
	char *path = xasprintf("%s/fixtures/prof-learning.session", shared_dir());
	int n = session_conf_load(&sc, path, &err);
	is_int(n, 0, "fixture session file has no errors");
	if (n)
		diag("%s", buf_cstr(&err));
	is_str(sc.slug, "prof-learning", "slug");
	is_str(sc.list, "tag-prof-learning@tags.example.org", "list address");
	is_int(sc.organizer.n, 2, "two organizers (repeated key)");
	is_int(sc.goal.n, 4, "four goals");
	is_int(sc.digest_at, 17 * 60, "digest at 17:00");
	is_int(sc.min_years, 1, "one year of experience asked");
	is_str(sc.call_start, "2018-07-16 12:00", "call start");
	is_int(sc.call_duration, 60, "call duration");
	ok(sc.ack == 1 && sc.default_mode == MODE_DIGEST, "defaults: acknowledge, digest mode");
	struct st_session s;
	session_conf_to_store(&sc, "src", &s);
	is_str(s.organizers[0].name, "Katherine Casey", "organizer name parsed");
	is_str(s.organizers[1].email, "tags@competencyworks.example.org", "organizer address parsed");
	session_store_free(&s);
	session_conf_free(&sc);
	buf_free(&err);
	free(path);
}

static void test_bad_session(void)
{
	struct session_conf sc;
	struct buf err = BUF_INIT;
	char *path = xasprintf("%s/tests/data/config/bad.session", TOP_SRCDIR);
	int n = session_conf_load(&sc, path, &err);
	ok(n >= 7, "bad session: %d errors found", n);
	const char *e = buf_cstr(&err);
	static const char *const want[] = {
		"bad.session:3: [session] slug: a slug uses only a-z, 0-9 and -",
		"bad.session:7: [session] organizer: expected Name <address>",
		"bad.session:8: [session] timezone: unknown time zone",
		"bad.session:10: [session] closes: date or time out of range",
		"bad.session:11: [session] digest_at: not a time of day",
		"bad.session:12: [session] colour: unknown setting",
		"bad.session:15: [call] start: not a date and time",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ok(strstr(e, want[i]) != NULL, "error reported: %s", want[i]);
	session_conf_free(&sc);
	buf_reset(&err);
	free(path);
	path = xasprintf("%s/tests/data/config/reversed.session", TOP_SRCDIR);
	n = session_conf_load(&sc, path, &err);
	ok(n == 1 && strstr(buf_cstr(&err), "reversed.session:8: [session] closes: 2018-07-16 is before opens"),
	   "closes before opens names the line of closes");
	session_conf_free(&sc);
	buf_free(&err);
	free(path);
}

static void test_tagd_conf(void)
{
	struct tagd_config c;
	struct buf err = BUF_INIT;
	char *path = xasprintf("%s/tests/data/config/tagd.conf", TOP_SRCDIR);
	int n = tagd_config_load(&c, path, &err);
	is_int(n, 0, "tagd.conf reads");
	is_str(c.hostname, "tags.example.org", "hostname");
	is_int(c.sessions.n, 2, "two session files");
	is_int(c.imap_tls, IMAP_TLS_STARTTLS, "imap tls starttls");
	is_int(c.smtp_rate, 600, "rate");
	is_int(c.smtp_retry_for, 5 * 86400, "retry_for default 5 days");
	char *db = tagd_config_path(&c, c.database);
	is_str(db, "/var/lib/tagd-test/tagd.db", "database under the state dir");
	free(db);
	struct buf dump = BUF_INIT;
	cfg_dump(tagd_config_defs, &c, &dump);
	ok(strstr(buf_cstr(&dump), "[smtp]\nurl = smtp://127.0.0.1:2525\n") != NULL, "dump-config shows effective values");
	buf_free(&dump);
	tagd_config_free(&c);
	buf_reset(&err);
	n = tagd_config_load(&c, "/nonexistent/tagd.conf", &err);
	ok(n == 1 && strstr(buf_cstr(&err), "/nonexistent/tagd.conf: cannot open"), "missing config file is an error");
	tagd_config_free(&c);
	buf_free(&err);
	free(path);
}

int main(void)
{
	test_fixture_session();
	test_bad_session();
	test_tagd_conf();
	return done_testing();
}
