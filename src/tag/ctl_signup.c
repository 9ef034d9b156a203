/* ctl_signup.c - tagctl invite | pending | approve | reject */
#include "config.h"
#include "tag/ctl.h"
#include "tag/invite.h"
#include "tag/mailout.h"
#include "tag/signup.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INVITE_MAX_FILE ((size_t)64 << 20)
#define BAR_WIDTH 30

static const char invite_help[] =
	"\nQueue the TAG invitation (templates/invitation.*) for every contact in\n"
	"FILE.csv who is not a participant of the session yet. The file has a header\n"
	"row with an 'email' column and optionally 'name' (other columns are ignored;\n"
	"a participants CSV works as it is). Each contact is invited once: running\n"
	"the command again, or listing an address twice, queues nothing new. A reply\n"
	"to the invitation goes to LIST+join and signs the person up.\n"
	"tagd sends the queued mail (tagctl outbox shows it). A progress bar is shown\n"
	"when stderr is a terminal. Exit status 1 when some rows were bad.\n";

/* bar - the progress bar on a terminal */
static void bar(void *arg, int done, int total)
{
	int *last = arg;
	if (total <= 0)
		return;
	int pct = (int)((long long)done * 100 / total);
	if (pct == *last && done != total)
		return;
	*last = pct;
	char b[BAR_WIDTH + 1];
	int fill = (int)((long long)done * BAR_WIDTH / total);
	for (int i = 0; i < BAR_WIDTH; i++)
		b[i] = i < fill ? '#' : '.';
	b[BAR_WIDTH] = '\0';
	fprintf(stderr, "\rinviting [%s] %3d%% %d/%d", b, pct, done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

int ctl_cmd_invite(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "SLUG FILE.csv [--json]";
	if (ctl_wants_help(argc, argv))
		return ctl_usage("invite", usage, invite_help, 1);
	int json = ctl_flag(&argc, argv, "--json");
	if (argc != 2 || ctl_unknown_option(argc, argv))
		return ctl_usage("invite", usage, NULL, 0);
	char *text;
	size_t len;
	if (str_read_file(argv[1], INVITE_MAX_FILE, &text, &len) < 0) {
		fprintf(stderr, "tagctl: %s: %s\n", argv[1], strerror(errno));
		return CTL_FAIL;
	}
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0) {
		free(text);
		return CTL_FAIL;
	}
	struct mailout *mo = mailout_new(c->st, &c->cfg);
	struct invite_result r;
	const char *err = NULL;
	int last = -1;
	int tty = isatty(2) && !c->quiet;
	int rc = store_begin(c->st);
	if (rc == 0) {
		rc = invite_csv(c->st, mo, &s, text, len, argv[1], tty ? bar : NULL, &last, &r, &err);
		if (rc < 0 || store_commit(c->st) < 0) {
			store_rollback(c->st);
			if (err == NULL)
				err = store_error(c->st);
			rc = -1;
		}
	} else {
		memset(&r, 0, sizeof(r));
		err = store_error(c->st);
	}
	if (tty && last >= 0 && last < 100)
		fputc('\n', stderr);
	if (rc < 0) {
		fprintf(stderr, "tagctl: invite: nothing queued: %s\n", err);
	} else if (json) {
		struct buf o = BUF_INIT;
		struct json j;
		json_init(&j, &o);
		json_obj_begin(&j);
		json_kstr(&j, "session", s.slug);
		json_kint(&j, "contacts", r.contacts);
		json_kint(&j, "queued", r.queued);
		json_kint(&j, "already_invited", r.already_invited);
		json_kint(&j, "participants", r.participants);
		json_kint(&j, "bad", r.bad);
		json_obj_end(&j);
		buf_putc(&o, '\n');
		ctl_print(o.data, o.len);
		buf_free(&o);
		fputs(buf_cstr(&r.errors), stderr);
	} else {
		fputs(buf_cstr(&r.errors), stderr);
		printf("%s: %d invitation%s queued, %d invited before, %d already participants, %d bad row%s\n",
		       s.slug, r.queued, r.queued == 1 ? "" : "s", r.already_invited, r.participants, r.bad,
		       r.bad == 1 ? "" : "s");
	}
	int bad = r.bad;
	invite_result_free(&r);
	mailout_free(&mo);
	st_session_free(&s);
	free(text);
	return rc < 0 || bad ? CTL_FAIL : CTL_OK;
}

int ctl_cmd_pending(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "SLUG [--json]";
	if (ctl_wants_help(argc, argv))
		return ctl_usage("pending", usage,
				 "\nSign-ups waiting for the organizers (session approval = yes, or no years of\n"
				 "experience given where some are asked): tagctl approve or reject each.\n", 1);
	int json = ctl_flag(&argc, argv, "--json");
	if (argc != 1 || ctl_unknown_option(argc, argv))
		return ctl_usage("pending", usage, NULL, 0);
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0)
		return CTL_FAIL;
	struct st_participant *list;
	int n;
	if (store_participant_list(c->st, s.id, "pending", &list, &n) < 0) {
		fprintf(stderr, "tagctl: %s\n", store_error(c->st));
		st_session_free(&s);
		return CTL_FAIL;
	}
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (json)
		json_arr_begin(&j);
	for (int i = 0; i < n; i++) {
		const struct st_participant *p = &list[i];
		char since[32];
		clock_format(p->created, s.timezone, "%Y-%m-%d %H:%M", since, sizeof(since));
		if (json) {
			json_obj_begin(&j);
			json_kstr(&j, "email", p->email);
			json_kstr(&j, "name", p->name);
			json_kstr(&j, "organization", p->organization);
			json_kstr(&j, "role", p->role);
			json_key(&j, "years_experience");
			if (p->years >= 0)
				json_int(&j, p->years);
			else
				json_null(&j);
			json_kstr(&j, "since", since);
			json_obj_end(&j);
		} else {
			char years[16];
			snprintf(years, sizeof(years), p->years >= 0 ? "%d y" : "? y", p->years);
			buf_printf(&out, "%-36s %-5s %s%s%s%s%s  (since %s)\n", p->email, years, p->name ? p->name : "",
				   p->role ? ", " : "", p->role ? p->role : "", p->organization ? ", " : "",
				   p->organization ? p->organization : "", since);
		}
	}
	if (json) {
		json_arr_end(&j);
		buf_putc(&out, '\n');
	} else if (n == 0) {
		buf_printf(&out, "%s: no sign-up waits for approval\n", s.slug);
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
	st_participant_list_free(&list, n);
	st_session_free(&s);
	return CTL_OK;
}

/* decide - approve or reject in one transaction */
static int decide(struct ctl *c, const char *slug, const char *email, int approve, const char *reason)
{
	struct st_session s;
	if (ctl_session(c, slug, &s) != 0)
		return CTL_FAIL;
	struct mailout *mo = mailout_new(c->st, &c->cfg);
	const char *err = NULL;
	int r = store_begin(c->st);
	if (r == 0) {
		r = approve ? signup_approve(c->st, mo, &s, email, &err) :
			      signup_reject(c->st, mo, &s, email, reason, &err);
		if (r != 0 || store_commit(c->st) < 0) {
			store_rollback(c->st);
			if (r == 0) {
				r = -1;
				err = store_error(c->st);
			}
		}
	} else {
		err = store_error(c->st);
	}
	if (r == 0)
		printf("%s: %s %s; the %s mail is queued (tagd sends it)\n", s.slug, email,
		       approve ? "approved" : "declined", approve ? "welcome" : "decline");
	else
		fprintf(stderr, "tagctl: %s %s: %s\n", approve ? "approve" : "reject", email, err ? err : "failed");
	mailout_free(&mo);
	st_session_free(&s);
	return r == 0 ? CTL_OK : CTL_FAIL;
}

int ctl_cmd_approve(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "SLUG EMAIL";
	if (ctl_wants_help(argc, argv))
		return ctl_usage("approve", usage,
				 "\nAccept a pending (or declined) sign-up: the person becomes an active\n"
				 "participant and gets the welcome mail.\n", 1);
	if (argc != 2 || ctl_unknown_option(argc, argv))
		return ctl_usage("approve", usage, NULL, 0);
	return decide(c, argv[0], argv[1], 1, NULL);
}

int ctl_cmd_reject(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "SLUG EMAIL [--reason TEXT]";
	if (ctl_wants_help(argc, argv))
		return ctl_usage("reject", usage,
				 "\nDecline a pending sign-up: the person gets the kind decline mail, with\n"
				 "--reason as its one sentence of explanation and the session's\n"
				 "newcomers_url as a place to start.\n", 1);
	const char *reason = NULL;
	if (ctl_option(&argc, argv, "--reason", &reason) < 0 || argc != 2 || ctl_unknown_option(argc, argv))
		return ctl_usage("reject", usage, NULL, 0);
	return decide(c, argv[0], argv[1], 0, reason);
}
