/* ctl.c - what tagctl's commands share */
#include "config.h"
#include "tag/ctl.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct ctl_command ctl_commands[] = {
	{ "session", "create FILE | list [--json] | show SLUG [--json]",
	  "create, list and show TAG sessions", ctl_cmd_session },
	{ "draft", "import SLUG FILE [--json] | show SLUG [--revision N] [--json] | diff SLUG R1 R2",
	  "import draft revisions, show them numbered, compare two", ctl_cmd_draft },
	{ "participant", "add SLUG EMAIL [--name N] [--organization O] [--role R] [--years Y] [--mode M]"
	  " | import SLUG FILE.csv [--json] | list SLUG [--status S] [--json] | remove SLUG EMAIL",
	  "manage a session's participants", ctl_cmd_participant },
	{ "inject", "[--session SLUG] [--json] [FILE...]",
	  "take messages from files, an mbox or a Maildir through the ingest path", ctl_cmd_inject },
	{ "comments", "SLUG [--json|--csv|--md]", "list a session's comments", ctl_cmd_comments },
	{ "held", "[SLUG] [--json]", "list mail held for the organizers", ctl_cmd_held },
	{ "release", "ID", "take a held message as a comment after all", ctl_cmd_release },
	{ "discard", "ID", "discard a held message (it stays archived)", ctl_cmd_discard },
	{ "outbox", "[SLUG] [--json] | show ID | retry ID", "the outgoing mail queue", ctl_cmd_outbox },
	{ "comment", "ID status open|incorporated|declined [--note TEXT]",
	  "record what became of a comment", ctl_cmd_comment },
	{ "schedule", "SLUG [--json]", "a session's calendar: open, digests, close, and what was done",
	  ctl_cmd_schedule },
	{ "status", "[SLUG] [--json]", "the state of each session, the outbox and IMAP", ctl_cmd_status },
	{ "invite", "SLUG FILE.csv [--json]", "invite contacts who are not participants yet (once each)", ctl_cmd_invite },
	{ "pending", "SLUG [--json]", "sign-ups waiting for the organizers' approval", ctl_cmd_pending },
	{ "approve", "SLUG EMAIL", "accept a pending sign-up (welcome mail)", ctl_cmd_approve },
	{ "reject", "SLUG EMAIL [--reason TEXT]", "decline a pending sign-up (decline mail)", ctl_cmd_reject },
	{ "call", "SLUG [show] | invite | reschedule --start \"YYYY-MM-DD HH:MM\" | cancel | rsvps [--json] | ics [--method M]",
	  "the launch call: invitations, a new time, cancel, answers, its iCalendar object", ctl_cmd_call },
	{ "export", "SLUG [--format md|html|csv|json] [--revision N] [-o FILE]",
	  "the draft with every comment under its paragraph, and a heat map", ctl_cmd_export },
	{ "final", "SLUG PAPER.md [--attach FILE]... [--extra-list FILE.csv] [--json]",
	  "mail the final paper: thanks, and what became of each person's comments", ctl_cmd_final },
	{ NULL, NULL, NULL, NULL }
};

struct store *ctl_store(struct ctl *c)
{
	if (c->st)
		return c->st;
	const char *err;
	if (store_open(c->db_path, &c->st, &err) < 0) {
		fprintf(stderr, "tagctl: %s\n", err);
		return NULL;
	}
	return c->st;
}

int ctl_session(struct ctl *c, const char *slug, struct st_session *s)
{
	struct store *st = ctl_store(c);
	if (st == NULL)
		return -1;
	int r = store_session_get(st, slug, s);
	if (r == 1)
		fprintf(stderr, "tagctl: no session named '%s' (see: tagctl session list)\n", slug);
	else if (r < 0)
		fprintf(stderr, "tagctl: %s\n", store_error(st));
	return r;
}

int ctl_wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

int ctl_usage(const char *name, const char *usage, const char *more, int help)
{
	FILE *f = help ? stdout : stderr;
	fprintf(f, "usage: tagctl %s %s\n", name, usage);
	if (more && help)
		fprintf(f, "%s", more);
	return help ? CTL_OK : CTL_USAGE;
}

static void drop(int *argc, char **argv, int i, int n)
{
	memmove(&argv[i], &argv[i + n], (size_t)(*argc - i - n + 1) * sizeof(char *));
	*argc -= n;
}

int ctl_flag(int *argc, char **argv, const char *flag)
{
	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], flag) == 0) {
			drop(argc, argv, i, 1);
			return 1;
		}
	}
	return 0;
}

int ctl_option(int *argc, char **argv, const char *name, const char **value_r)
{
	size_t n = strlen(name);
	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strncmp(argv[i], name, n) != 0)
			continue;
		if (argv[i][n] == '=') {
			*value_r = argv[i] + n + 1;
			drop(argc, argv, i, 1);
			return 1;
		}
		if (argv[i][n] == '\0') {
			if (i + 1 >= *argc)
				return -1;
			*value_r = argv[i + 1];
			drop(argc, argv, i, 2);
			return 1;
		}
	}
	return 0;
}

const char *ctl_unknown_option(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return NULL;
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			return argv[i];
	}
	return NULL;
}

void ctl_print(const char *s, size_t n)
{
	if (n && fwrite(s, 1, n, stdout) != n)
		perror("tagctl: write");
}
