/* ctl_session.c - tagctl session create | list | show */
#include "config.h"
#include "tag/ctl.h"
#include "tag/session.h"
#include "lib/json.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
	"\n  create FILE     read a session file (see tagd-session(5)) and store the session;\n"
	"                  a session with the same slug is updated\n"
	"  list            every session, one line each\n"
	"  show SLUG       one session in full\n"
	"  --json          print data as JSON\n";

static void json_session(struct json *j, const struct st_session *s, struct store *st)
{
	json_obj_begin(j);
	json_kstr(j, "slug", s->slug);
	json_kstr(j, "title", s->title);
	json_kstr(j, "list", s->list_addr);
	json_kstr(j, "timezone", s->timezone);
	json_kstr(j, "opens", s->opens);
	json_kstr(j, "closes", s->closes);
	char at[24];
	snprintf(at, sizeof(at), "%02d:%02d", s->digest_at / 60, s->digest_at % 60);
	json_kstr(j, "digest_at", at);
	json_kint(j, "min_years_experience", s->min_years);
	json_kstr(j, "state", s->state);
	json_key(j, "organizers");
	json_arr_begin(j);
	for (int i = 0; i < s->norganizers; i++) {
		json_obj_begin(j);
		json_kstr(j, "name", s->organizers[i].name);
		json_kstr(j, "email", s->organizers[i].email);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "goals");
	json_arr_begin(j);
	for (int i = 0; i < s->ngoals; i++)
		json_str(j, s->goals[i]);
	json_arr_end(j);
	int counts[5];
	int rev = 0;
	if (store_participant_count(st, s->id, counts) == 0 && store_revision_current(st, s->id, &rev) == 0) {
		json_kint(j, "participants", counts[1]);
		json_kint(j, "revision", rev);
	}
	json_obj_end(j);
}

static int cmd_create(struct ctl *c, int argc, char **argv)
{
	if (argc != 1)
		return ctl_usage("session create", "FILE", NULL, 0);
	char *text;
	size_t len;
	if (str_read_file(argv[0], 1024 * 1024, &text, &len) < 0) {
		fprintf(stderr, "tagctl: %s: %s\n", argv[0], strerror(errno));
		return CTL_FAIL;
	}
	struct session_conf sc;
	struct buf err = BUF_INIT;
	int n = session_conf_parse(&sc, text, argv[0], &err);
	if (n > 0) {
		fprintf(stderr, "%s", buf_cstr(&err));
		fprintf(stderr, "tagctl: %s: %d error%s; nothing stored\n", argv[0], n, n == 1 ? "" : "s");
		buf_free(&err);
		session_conf_free(&sc);
		free(text);
		return CTL_FAIL;
	}
	buf_free(&err);
	struct store *st = ctl_store(c);
	int rc = CTL_FAIL;
	if (st) {
		struct st_session s, old;
		int existed = store_session_get(st, sc.slug, &old) == 0;
		if (existed)
			st_session_free(&old);
		session_conf_to_store(&sc, text, &s);
		int64_t id;
		if (store_session_put(st, &s, &id) == 0) {
			printf("session %s %s: %s <%s>\n", sc.slug, existed ? "updated" : "created",
			       sc.title, sc.list);
			rc = CTL_OK;
		} else {
			fprintf(stderr, "tagctl: cannot store the session: %s\n", store_error(st));
		}
		session_store_free(&s);
	}
	session_conf_free(&sc);
	free(text);
	return rc;
}

static int cmd_list(struct ctl *c, int argc, char **argv)
{
	int json = ctl_flag(&argc, argv, "--json");
	if (argc != 0)
		return ctl_usage("session list", "[--json]", NULL, 0);
	struct store *st = ctl_store(c);
	if (st == NULL)
		return CTL_FAIL;
	struct st_session *list;
	int n;
	if (store_session_list(st, &list, &n) < 0)
		return CTL_FAIL;
	struct buf out = BUF_INIT;
	if (json) {
		struct json j;
		json_init(&j, &out);
		json_arr_begin(&j);
		for (int i = 0; i < n; i++)
			json_session(&j, &list[i], st);
		json_arr_end(&j);
		buf_putc(&out, '\n');
	} else {
		for (int i = 0; i < n; i++)
			buf_printf(&out, "%-20s %-8s %s .. %s  %s <%s>\n", list[i].slug, list[i].state,
				   list[i].opens, list[i].closes, list[i].title, list[i].list_addr);
		if (n == 0)
			buf_puts(&out, "no sessions (create one with: tagctl session create FILE)\n");
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
	st_session_list_free(&list, n);
	return CTL_OK;
}

static int cmd_show(struct ctl *c, int argc, char **argv)
{
	int json = ctl_flag(&argc, argv, "--json");
	if (argc != 1)
		return ctl_usage("session show", "SLUG [--json]", NULL, 0);
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0)
		return CTL_FAIL;
	struct buf out = BUF_INIT;
	if (json) {
		struct json j;
		json_init(&j, &out);
		json_session(&j, &s, c->st);
		buf_putc(&out, '\n');
	} else {
		int counts[5] = { 0 }, rev = 0;
		store_participant_count(c->st, s.id, counts);
		store_revision_current(c->st, s.id, &rev);
		buf_printf(&out, "%s: %s\nlist:       %s\nstate:      %s\nwindow:     %s to %s (%s)\n"
			   "digest at:  %02d:%02d\nexperience: at least %d year%s\nrevision:   %d\n"
			   "people:     %d active, %d pending, %d left\norganizers:\n",
			   s.slug, s.title, s.list_addr, s.state, s.opens, s.closes, s.timezone,
			   s.digest_at / 60, s.digest_at % 60, s.min_years, s.min_years == 1 ? "" : "s",
			   rev, counts[1], counts[0], counts[3]);
		for (int i = 0; i < s.norganizers; i++)
			buf_printf(&out, "  %s <%s>\n", s.organizers[i].name ? s.organizers[i].name : "",
				   s.organizers[i].email);
		buf_puts(&out, "goals:\n");
		for (int i = 0; i < s.ngoals; i++)
			buf_printf(&out, "  %d. %s\n", i + 1, s.goals[i]);
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
	st_session_free(&s);
	return CTL_OK;
}

int ctl_cmd_session(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "create FILE | list [--json] | show SLUG [--json]";
	if (argc == 0)
		return ctl_usage("session", usage, help_text, 0);
	if (ctl_wants_help(argc, argv))
		return ctl_usage("session", usage, help_text, 1);
	const char *sub = argv[0];
	const char *bad = ctl_unknown_option(argc - 1, argv + 1);
	if (bad && strcmp(bad, "--json") != 0) {
		fprintf(stderr, "tagctl: session %s: unknown option %s\n", sub, bad);
		return CTL_USAGE;
	}
	if (strcmp(sub, "create") == 0)
		return cmd_create(c, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return cmd_list(c, argc - 1, argv + 1);
	if (strcmp(sub, "show") == 0)
		return cmd_show(c, argc - 1, argv + 1);
	fprintf(stderr, "tagctl: session: unknown subcommand '%s'\n", sub);
	return ctl_usage("session", usage, NULL, 0);
}
