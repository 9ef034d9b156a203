#ifndef TAGD_TAG_CTL_H
#define TAGD_TAG_CTL_H
/* tagctl's commands. src/tagctl.c parses the global options and hands the
   rest to one of these. Exit statuses: CTL_OK (done), CTL_FAIL (failed),
   CTL_USAGE (bad usage). Data commands take --json. */
#include "tag/settings.h"
#include "store/store.h"

enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

struct ctl {
	struct tagd_config cfg;
	const char *config_path;   /* -c, or NULL */
	char *db_path;             /* -d, or from the config */
	struct store *st;          /* opened on first use by ctl_store() */
	int quiet;
};

struct ctl_command {
	const char *name;
	const char *usage;         /* "SLUG FILE [--json]" */
	const char *summary;
	int (*run)(struct ctl *c, int argc, char **argv);
};

/* ctl_commands - the table, NULL-terminated */
extern const struct ctl_command ctl_commands[];

/* ctl_store - the open store (opening it on first use); NULL after an
   error has been printed */
struct store *ctl_store(struct ctl *c);
/* ctl_session - look up SLUG; prints an error and returns 1/-1 when missing */
int ctl_session(struct ctl *c, const char *slug, struct st_session *s);
/* ctl_wants_help - argv holds --help or -h */
int ctl_wants_help(int argc, char **argv);
/* ctl_usage - print "usage: tagctl NAME USAGE" to stderr (or stdout for --help) */
int ctl_usage(const char *name, const char *usage, const char *more, int help);
/* ctl_flag - remove a boolean flag from argv if present; returns 1 if it was */
int ctl_flag(int *argc, char **argv, const char *flag);
/* ctl_option - remove "--name VALUE" or "--name=VALUE"; *value_r borrowed; 1 if present, -1 if VALUE missing */
int ctl_option(int *argc, char **argv, const char *name, const char **value_r);
/* ctl_unknown_option - the first argument starting with '-' (not "-"), or NULL */
const char *ctl_unknown_option(int argc, char **argv);
/* ctl_print - write a buffer to stdout */
void ctl_print(const char *s, size_t n);

/* the command groups, one file each */
int ctl_cmd_session(struct ctl *c, int argc, char **argv);
int ctl_cmd_draft(struct ctl *c, int argc, char **argv);
int ctl_cmd_participant(struct ctl *c, int argc, char **argv);
int ctl_cmd_inject(struct ctl *c, int argc, char **argv);
int ctl_cmd_comments(struct ctl *c, int argc, char **argv);
int ctl_cmd_held(struct ctl *c, int argc, char **argv);
int ctl_cmd_release(struct ctl *c, int argc, char **argv);
int ctl_cmd_discard(struct ctl *c, int argc, char **argv);
int ctl_cmd_outbox(struct ctl *c, int argc, char **argv);
int ctl_cmd_comment(struct ctl *c, int argc, char **argv);
int ctl_cmd_schedule(struct ctl *c, int argc, char **argv);
int ctl_cmd_status(struct ctl *c, int argc, char **argv);
int ctl_cmd_invite(struct ctl *c, int argc, char **argv);
int ctl_cmd_pending(struct ctl *c, int argc, char **argv);
int ctl_cmd_approve(struct ctl *c, int argc, char **argv);
int ctl_cmd_reject(struct ctl *c, int argc, char **argv);
int ctl_cmd_call(struct ctl *c, int argc, char **argv);
int ctl_cmd_export(struct ctl *c, int argc, char **argv);
int ctl_cmd_final(struct ctl *c, int argc, char **argv);

#endif
