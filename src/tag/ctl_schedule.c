/* ctl_schedule.c - tagctl schedule SLUG [--json]: a session's calendar */
#include "config.h"
#include "tag/ctl.h"
#include "tag/schedule.h"
#include "tag/session.h"
#include "lib/clock.h"
#include "lib/json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] = "SLUG [--json]";
static const char help_text[] =
	"\nThe session's calendar in its time zone: the open (the draft goes out), the\n"
	"launch call's reminder, the digest hour of each day, the last digest and the\n"
	"close, each with when tagd did it and what it did (tagd does them; this only\n"
	"shows them).\n";

int ctl_cmd_schedule(struct ctl *c, int argc, char **argv)
{
	if (ctl_wants_help(argc, argv))
		return ctl_usage("schedule", usage_text, help_text, 1);
	int json = ctl_flag(&argc, argv, "--json");
	if (argc != 1 || ctl_unknown_option(argc, argv))
		return ctl_usage("schedule", usage_text, NULL, 0);
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0)
		return CTL_FAIL;
	struct session_conf sc;
	int have_sc = session_conf_of(&s, &sc) == 0;
	struct sched_event *ev = NULL;
	struct st_sched *done = NULL;
	int n = 0, ndone = 0, rc = CTL_OK;
	const char *err;
	if (schedule_calendar(&s, schedule_call_start(c->st, &s, have_sc ? &sc : NULL), have_sc ? sc.call_reminder_at : 480,
			      &ev, &n, &err) < 0) {
		fprintf(stderr, "tagctl: %s: %s\n", s.slug, err);
		rc = CTL_FAIL;
		goto out;
	}
	if (store_sched_list(c->st, s.id, &done, &ndone) < 0) {
		fprintf(stderr, "tagctl: %s\n", store_error(c->st));
		rc = CTL_FAIL;
		goto out;
	}
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (json) {
		json_obj_begin(&j);
		json_kstr(&j, "session", s.slug);
		json_kstr(&j, "state", s.state);
		json_kstr(&j, "timezone", s.timezone);
		json_key(&j, "events");
		json_arr_begin(&j);
	} else {
		buf_printf(&out, "%s (%s), times in %s\n", s.slug, s.state, s.timezone);
	}
	for (int i = 0; i < n; i++) {
		const struct st_sched *d = NULL;
		for (int k = 0; k < ndone && d == NULL; k++)
			if (strcmp(done[k].event, ev[i].key) == 0)
				d = &done[k];
		char at[40], when[40] = "";
		clock_format(ev[i].at, s.timezone, "%a %Y-%m-%d %H:%M %Z", at, sizeof(at));
		if (d)
			clock_format(d->done, s.timezone, "%a %Y-%m-%d %H:%M", when, sizeof(when));
		if (json) {
			json_obj_begin(&j);
			json_kstr(&j, "event", ev[i].key);
			json_kstr(&j, "kind", schedule_kind_name(ev[i].kind));
			json_kstr(&j, "at", at);
			json_kint(&j, "at_unix", (int64_t)ev[i].at);
			json_kbool(&j, "final", ev[i].final);
			json_kstr(&j, "done", d ? when : NULL);
			json_kstr(&j, "result", d ? d->result : NULL);
			json_obj_end(&j);
		} else {
			buf_printf(&out, "  %-22s %-26s %s%s\n", ev[i].key, at, d ? "done " : "due", d ? when : "");
			if (d && d->result)
				buf_printf(&out, "  %-22s %s\n", "", d->result);
		}
	}
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
		buf_putc(&out, '\n');
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
out:
	free(ev);
	st_sched_list_free(&done, ndone);
	if (have_sc)
		session_conf_free(&sc);
	st_session_free(&s);
	return rc;
}
