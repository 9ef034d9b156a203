/* ical-gen - write the launch call's iMIP objects for a session file, for
   checking with independent parsers (tests/integration/test-ical.sh).

   usage: ical-gen SESSION-FILE PARTICIPANTS-CSV OUTDIR
   writes OUTDIR/request.ics (SEQUENCE 0), OUTDIR/reschedule.ics (two hours
   later, SEQUENCE 1) and OUTDIR/cancel.ics (SEQUENCE 2), each for the first
   participant, and prints "start=<UTC epoch> uid=<UID>" */
#include "config.h"
#include "tag/call.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/csv.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 32

struct ini {
	char *key[MAX_VALUES * 4];
	char *val[MAX_VALUES * 4];
	int n;
};

/* ini_read - "section.key" = value pairs of a small INI file, in order */
static int ini_read(const char *path, struct ini *ini)
{
	char *text;
	size_t len;
	if (str_read_file(path, 1 << 20, &text, &len) < 0)
		return -1;
	char section[64] = "";
	for (char *line = text, *next; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		char *l = str_trim(line);
		if (*l == '#' || *l == ';' || *l == '\0')
			continue;
		if (*l == '[') {
			char *e = strchr(l, ']');
			if (e) {
				*e = '\0';
				snprintf(section, sizeof(section), "%s", l + 1);
			}
			continue;
		}
		char *eq = strchr(l, '=');
		if (eq == NULL || ini->n == (int)(sizeof(ini->key) / sizeof(ini->key[0])))
			continue;
		*eq = '\0';
		ini->key[ini->n] = xasprintf("%s.%s", section, str_trim(l));
		ini->val[ini->n] = xstrdup(str_trim(eq + 1));
		ini->n++;
	}
	free(text);
	return 0;
}

static const char *ini_get(const struct ini *ini, const char *key, int nth)
{
	for (int i = 0; i < ini->n; i++)
		if (strcmp(ini->key[i], key) == 0 && nth-- == 0)
			return ini->val[i];
	return NULL;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ical-gen SESSION-FILE PARTICIPANTS-CSV OUTDIR\n");
		return 2;
	}
	const char *err = NULL;
	if (call_init(&err) < 0) {
		fprintf(stderr, "ical-gen: %s\n", err);
		return 1;
	}
	struct ini ini = { .n = 0 };
	if (ini_read(argv[1], &ini) < 0) {
		perror(argv[1]);
		return 1;
	}
	const char *slug = ini_get(&ini, "session.slug", 0);
	const char *list = ini_get(&ini, "session.list", 0);
	const char *tz = ini_get(&ini, "session.timezone", 0);
	const char *title = ini_get(&ini, "call.title", 0);
	const char *when = ini_get(&ini, "call.start", 0);
	const char *dur = ini_get(&ini, "call.duration", 0);
	if (!slug || !list || !tz || !title || !when || !dur) {
		fprintf(stderr, "ical-gen: %s lacks a session or call key\n", argv[1]);
		return 1;
	}
	/* the organizer's CN: the display name of the last organizer line */
	const char *org = NULL;
	for (int i = 0; ini_get(&ini, "session.organizer", i); i++)
		org = ini_get(&ini, "session.organizer", i);
	char *org_name = NULL;
	if (org && strchr(org, '<'))
		org_name = xstrndup(org, (size_t)(strchr(org, '<') - org));
	struct buf agenda = BUF_INIT;
	for (int i = 0; ini_get(&ini, "goals.goal", i); i++)
		buf_printf(&agenda, "%s- %s", i ? "\n" : "", ini_get(&ini, "goals.goal", i));

	char *csv;
	size_t csv_len;
	if (str_read_file(argv[2], 1 << 20, &csv, &csv_len) < 0) {
		perror(argv[2]);
		return 1;
	}
	struct csv_reader rd;
	struct csv_record rec;
	csv_reader_init(&rd, csv, csv_len);
	char *email = NULL, *name = NULL;
	if (csv_next(&rd, &rec, &err) == 1 && csv_next(&rd, &rec, &err) == 1 && rec.nfields >= 2) {
		email = xstrdup(rec.fields[0]);
		name = xstrdup(rec.fields[1]);
	}
	csv_reader_free(&rd);
	free(csv);
	if (email == NULL) {
		fprintf(stderr, "ical-gen: no participant in %s\n", argv[2]);
		return 1;
	}

	struct call_event ev = { 0 };
	char *uid = call_uid(slug, list);
	char *desc = call_description(ini_get(&ini, "call.dial_in", 0), ini_get(&ini, "call.url", 0),
				      buf_cstr(&agenda));
	ev.uid = uid;
	ev.summary = title;
	ev.description = desc;
	ev.location = ini_get(&ini, "call.url", 0);
	ev.url = ini_get(&ini, "call.url", 0);
	ev.organizer_email = list;
	ev.organizer_name = org_name ? str_trim(org_name) : NULL;
	ev.tzid = tz;
	ev.alarm_min = 15;
	int rc = 1;
	if (clock_parse_local(when, tz, &ev.start, &err) < 0 ||
	    str_to_int(dur, 1, CALL_MAX_DURATION, &ev.duration_min) < 0) {
		fprintf(stderr, "ical-gen: bad call start or duration: %s\n", err ? err : dur);
		goto out;
	}
	struct call_attendee att = { email, name };
	static const struct {
		const char *file;
		enum call_method m;
		int sequence;
		int shift;
	} outs[] = {
		{ "request.ics", CALL_REQUEST, 0, 0 },
		{ "reschedule.ics", CALL_REQUEST, 1, 2 * 3600 },
		{ "cancel.ics", CALL_CANCEL, 2, 2 * 3600 },
	};
	time_t start0 = ev.start;
	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		ev.sequence = outs[i].sequence;
		ev.start = start0 + outs[i].shift;
		char *ics = call_ics(&ev, &att, outs[i].m, &err);
		if (ics == NULL) {
			fprintf(stderr, "ical-gen: %s: %s\n", outs[i].file, err);
			goto out;
		}
		int w = write_file(argv[3], outs[i].file, ics);
		free(ics);
		if (w < 0)
			goto out;
	}
	printf("start=%lld uid=%s\n", (long long)start0, uid);
	rc = 0;
out:
	free(uid);
	free(desc);
	free(org_name);
	free(email);
	free(name);
	buf_free(&agenda);
	for (int i = 0; i < ini.n; i++) {
		free(ini.key[i]);
		free(ini.val[i]);
	}
	call_shutdown();
	return rc;
}
