/* ctl_participant.c - tagctl participant add | import | list | remove */
#include "config.h"
#include "tag/ctl.h"
#include "tag/session.h"
#include "lib/csv.h"
#include "lib/json.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
	"\n  add SLUG EMAIL       add one participant (--name, --organization, --role,\n"
	"                       --years, --mode each|digest|nomail)\n"
	"  import SLUG FILE.csv add participants from a CSV file with a header row:\n"
	"                       email,name,organization,role,years_experience (any order;\n"
	"                       only email is required). Bad rows are reported with their\n"
	"                       line and the good ones kept; the exit status is 1 if any\n"
	"                       row was bad\n"
	"  list SLUG            the participants (--status S to filter, --json)\n"
	"  remove SLUG EMAIL    remove a participant; one who has commented is kept\n"
	"                       as 'left' so their comments keep their author\n"
	"Addresses are compared case-insensitively.\n";

static const char *mode_arg(const char *m)
{
	if (m == NULL)
		return "digest";
	if (strcmp(m, "each") == 0 || strcmp(m, "digest") == 0)
		return m;
	if (strcmp(m, "nomail") == 0 || strcmp(m, "none") == 0)
		return "none";
	return NULL;
}

static int cmd_add(struct ctl *c, int argc, char **argv)
{
	const char *name = NULL, *org = NULL, *role = NULL, *years = NULL, *mode = NULL;
	if (ctl_option(&argc, argv, "--name", &name) < 0 || ctl_option(&argc, argv, "--organization", &org) < 0 ||
	    ctl_option(&argc, argv, "--role", &role) < 0 || ctl_option(&argc, argv, "--years", &years) < 0 ||
	    ctl_option(&argc, argv, "--mode", &mode) < 0 || argc != 2 || ctl_unknown_option(argc, argv))
		return ctl_usage("participant add", "SLUG EMAIL [--name N] [--organization O] [--role R] [--years Y] [--mode each|digest|nomail]", NULL, 0);
	int y = -1;
	if (years && str_to_int(years, 0, 80, &y) < 0) {
		fprintf(stderr, "tagctl: --years takes a number from 0 to 80\n");
		return CTL_USAGE;
	}
	const char *m = mode_arg(mode);
	if (m == NULL) {
		fprintf(stderr, "tagctl: --mode is each, digest or nomail\n");
		return CTL_USAGE;
	}
	if (!addr_valid(argv[1])) {
		fprintf(stderr, "tagctl: '%s' is not an email address\n", argv[1]);
		return CTL_FAIL;
	}
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0)
		return CTL_FAIL;
	struct st_participant p = { 0 };
	p.session_id = s.id;
	p.email = argv[1];
	p.name = (char *)name;
	p.organization = (char *)org;
	p.role = (char *)role;
	p.years = y;
	p.mode = (char *)m;
	int r = store_participant_add(c->st, &p, NULL);
	if (r == 0)
		printf("%s: added %s\n", s.slug, argv[1]);
	else if (r == 1)
		printf("%s: %s is already a participant\n", s.slug, argv[1]);
	st_session_free(&s);
	return r < 0 ? CTL_FAIL : CTL_OK;
}

enum { COL_EMAIL, COL_NAME, COL_ORG, COL_ROLE, COL_YEARS, NCOLS };

static int cmd_import(struct ctl *c, int argc, char **argv)
{
	int json = ctl_flag(&argc, argv, "--json");
	if (argc != 2 || ctl_unknown_option(argc, argv))
		return ctl_usage("participant import", "SLUG FILE.csv [--json]", NULL, 0);
	char *text;
	size_t len;
	if (str_read_file(argv[1], 64 << 20, &text, &len) < 0) {
		fprintf(stderr, "tagctl: %s: %s\n", argv[1], strerror(errno));
		return CTL_FAIL;
	}
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0) {
		free(text);
		return CTL_FAIL;
	}
	static const char *const names[NCOLS] = { "email", "name", "organization", "role", "years_experience" };
	int col[NCOLS];
	for (int i = 0; i < NCOLS; i++)
		col[i] = -1;
	struct csv_reader r;
	struct csv_record rec;
	const char *err;
	struct buf errors = BUF_INIT, jerr = BUF_INIT;
	struct json je;
	json_init(&je, &jerr);
	json_arr_begin(&je);
	int added = 0, existing = 0, bad = 0, rc, header = 1;
	csv_reader_init(&r, text, len);
#define BAD(line, ...) do { \
		char msg_[300]; snprintf(msg_, sizeof(msg_), __VA_ARGS__); \
		buf_printf(&errors, "%s:%d: %s\n", argv[1], line, msg_); \
		json_obj_begin(&je); json_kint(&je, "line", line); json_kstr(&je, "error", msg_); json_obj_end(&je); \
		bad++; } while (0)
	if (store_begin(c->st) < 0) {
		rc = -2;
		goto out;
	}
	while ((rc = csv_next(&r, &rec, &err)) != 0) {
		if (rc < 0) {
			BAD(rec.line ? rec.line : r.line, "%s", err);
			continue;
		}
		if (header) {
			header = 0;
			for (int f = 0; f < rec.nfields; f++) {
				char *h = xstrdup(rec.fields[f]);
				char *t = str_trim(h);
				str_lower(t);
				for (int i = 0; i < NCOLS; i++)
					if (strcmp(t, names[i]) == 0 || (i == COL_YEARS && strcmp(t, "years") == 0))
						col[i] = f;
				free(h);
			}
			if (col[COL_EMAIL] < 0) {
				BAD(rec.line, "the header row has no 'email' column");
				break;
			}
			continue;
		}
		char *field[NCOLS] = { NULL };
		for (int i = 0; i < NCOLS; i++) {
			if (col[i] >= 0 && col[i] < rec.nfields) {
				field[i] = xstrdup(rec.fields[col[i]]);
				char *t = str_trim(field[i]);
				memmove(field[i], t, strlen(t) + 1);
				if (*field[i] == '\0')
					xfree(&field[i]);
			}
		}
		int y = -1;
		if (field[COL_EMAIL] == NULL)
			BAD(rec.line, "no email address");
		else if (!addr_valid(field[COL_EMAIL]))
			BAD(rec.line, "'%s' is not an email address", field[COL_EMAIL]);
		else if (field[COL_YEARS] && str_to_int(field[COL_YEARS], 0, 80, &y) < 0)
			BAD(rec.line, "years_experience '%s' is not a number from 0 to 80", field[COL_YEARS]);
		else {
			struct st_participant p = { 0 };
			p.session_id = s.id;
			p.email = field[COL_EMAIL];
			p.name = field[COL_NAME];
			p.organization = field[COL_ORG];
			p.role = field[COL_ROLE];
			p.years = y;
			int ar = store_participant_add(c->st, &p, NULL);
			if (ar < 0) {
				for (int i = 0; i < NCOLS; i++)
					free(field[i]);
				rc = -2;
				break;
			}
			if (ar == 0)
				added++;
			else
				existing++;
		}
		for (int i = 0; i < NCOLS; i++)
			free(field[i]);
	}
	if (rc == -2 || store_commit(c->st) < 0) {
		store_rollback(c->st);
		rc = -2;
	}
out:
	json_arr_end(&je);
	if (rc == -2) {
		fprintf(stderr, "tagctl: cannot store participants: %s\n", store_error(c->st));
	} else if (json) {
		struct buf o = BUF_INIT;
		struct json j;
		json_init(&j, &o);
		json_obj_begin(&j);
		json_kint(&j, "added", added);
		json_kint(&j, "existing", existing);
		json_kint(&j, "bad", bad);
		buf_puts(&o, ",\"errors\":");
		buf_append(&o, jerr.data, jerr.len);
		buf_puts(&o, "}\n");
		ctl_print(o.data, o.len);
		buf_free(&o);
	} else {
		fprintf(stderr, "%s", buf_cstr(&errors));
		printf("%s: %d added, %d already participants, %d bad row%s\n", s.slug, added, existing,
		       bad, bad == 1 ? "" : "s");
	}
#undef BAD
	csv_reader_free(&r);
	buf_free(&errors);
	buf_free(&jerr);
	st_session_free(&s);
	free(text);
	return rc == -2 || bad ? CTL_FAIL : CTL_OK;
}

static int cmd_list(struct ctl *c, int argc, char **argv)
{
	int json = ctl_flag(&argc, argv, "--json");
	const char *status = NULL;
	if (ctl_option(&argc, argv, "--status", &status) < 0 || argc != 1 || ctl_unknown_option(argc, argv))
		return ctl_usage("participant list", "SLUG [--status S] [--json]", NULL, 0);
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0)
		return CTL_FAIL;
	struct st_participant *list;
	int n;
	if (store_participant_list(c->st, s.id, status, &list, &n) < 0) {
		st_session_free(&s);
		return CTL_FAIL;
	}
	struct buf out = BUF_INIT;
	if (json) {
		struct json j;
		json_init(&j, &out);
		json_arr_begin(&j);
		for (int i = 0; i < n; i++) {
			json_obj_begin(&j);
			json_kstr(&j, "email", list[i].email);
			json_kstr(&j, "name", list[i].name);
			json_kstr(&j, "organization", list[i].organization);
			json_kstr(&j, "role", list[i].role);
			json_key(&j, "years_experience");
			if (list[i].years >= 0)
				json_int(&j, list[i].years);
			else
				json_null(&j);
			json_kstr(&j, "status", list[i].status);
			json_kstr(&j, "mode", strcmp(list[i].mode, "none") == 0 ? "nomail" : list[i].mode);
			json_kint(&j, "bounce_score", list[i].bounce_score);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		buf_putc(&out, '\n');
	} else {
		for (int i = 0; i < n; i++)
			buf_printf(&out, "%-36s %-8s %-6s %s%s%s\n", list[i].email, list[i].status,
				   strcmp(list[i].mode, "none") == 0 ? "nomail" : list[i].mode,
				   list[i].name ? list[i].name : "", list[i].organization ? ", " : "",
				   list[i].organization ? list[i].organization : "");
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
	st_participant_list_free(&list, n);
	st_session_free(&s);
	return CTL_OK;
}

static int cmd_remove(struct ctl *c, int argc, char **argv)
{
	if (argc != 2 || ctl_unknown_option(argc, argv))
		return ctl_usage("participant remove", "SLUG EMAIL", NULL, 0);
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0)
		return CTL_FAIL;
	int kept = 0;
	int r = store_participant_remove(c->st, s.id, argv[1], &kept);
	if (r == 1)
		fprintf(stderr, "tagctl: %s is not a participant of %s\n", argv[1], s.slug);
	else if (r == 0)
		printf(kept ? "%s: %s marked as left (their comments stay)\n" : "%s: removed %s\n", s.slug, argv[1]);
	st_session_free(&s);
	return r == 0 ? CTL_OK : CTL_FAIL;
}

int ctl_cmd_participant(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "add SLUG EMAIL [options] | import SLUG FILE.csv [--json] | list SLUG [--status S] [--json] | remove SLUG EMAIL";
	if (argc == 0)
		return ctl_usage("participant", usage, help_text, 0);
	if (ctl_wants_help(argc, argv))
		return ctl_usage("participant", usage, help_text, 1);
	const char *sub = argv[0];
	if (strcmp(sub, "add") == 0)
		return cmd_add(c, argc - 1, argv + 1);
	if (strcmp(sub, "import") == 0)
		return cmd_import(c, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return cmd_list(c, argc - 1, argv + 1);
	if (strcmp(sub, "remove") == 0)
		return cmd_remove(c, argc - 1, argv + 1);
	fprintf(stderr, "tagctl: participant: unknown subcommand '%s'\n", sub);
	return ctl_usage("participant", usage, NULL, 0);
}
