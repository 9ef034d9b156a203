/* tagctl - the organizers' and administrators' command line for tagd */
#include "config.h"
#include "tag/call.h"
#include "tag/ctl.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: tagctl [-c tagd.conf] [-d DB] [-v SUBSYS] COMMAND [ARGS]\n\n"
		   "Options:\n"
		   "  -c, --config FILE   read this tagd.conf (default " TAGD_SYSCONFDIR "/tagd.conf if present)\n"
		   "  -d, --database DB   use this SQLite database (default: the config's)\n"
		   "  -v, --debug LIST    debug logging for subsystems (imap,smtp,thread,...,all)\n"
		   "  -q, --quiet         only warnings and errors on stderr\n"
		   "      --clock TIME    act as if it were TIME (YYYY-MM-DD HH:MM, UTC): tests, demos\n"
		   "  -h, --help          this help; COMMAND --help for a command's\n"
		   "  -V, --version       print the version\n\n"
		   "Commands:\n");
	for (const struct ctl_command *cmd = ctl_commands; cmd->name; cmd++)
		fprintf(f, "  %-12s %s\n", cmd->name, cmd->summary);
	fprintf(f, "\nExit status: 0 done, 1 failed, 2 usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "database", required_argument, NULL, 'd' },
		{ "debug", required_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "clock", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c;
	memset(&c, 0, sizeof(c));
	const char *db = NULL;
	int opt;
	log_open("tagctl", 0);
	/* '+': stop at the command word; its options are its own */
	while ((opt = getopt_long(argc, argv, "+c:d:v:qhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c.config_path = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'v': {
			const char *bad;
			int mask = log_debug_mask_parse(optarg, &bad);
			if (mask < 0) {
				fprintf(stderr, "tagctl: unknown debug subsystem '%s'\n", bad);
				return CTL_USAGE;
			}
			log_set_debug(mask);
			break;
		}
		case 'C': {
			time_t t;
			const char *e;
			if (clock_parse_local(optarg, "UTC", &t, &e) < 0) {
				fprintf(stderr, "tagctl: --clock %s: %s\n", optarg, e);
				return CTL_USAGE;
			}
			clock_set(t);
			break;
		}
		case 'q':
			c.quiet = 1;
			log_set_quiet(1);
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case 'V':
			printf("tagctl (tagd) %s\n", PACKAGE_VERSION);
			return CTL_OK;
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	struct buf err = BUF_INIT;
	if (tagd_config_load(&c.cfg, c.config_path, &err) > 0) {
		fprintf(stderr, "%s", buf_cstr(&err));
		buf_free(&err);
		tagd_config_free(&c.cfg);
		return CTL_FAIL;
	}
	buf_free(&err);
	c.db_path = db ? xstrdup(db) : tagd_config_path(&c.cfg, c.cfg.database);
	/* libical (RSVPs met by inject, tagctl call) is set up once, here */
	const char *cerr;
	if (call_init(&cerr) < 0) {
		fprintf(stderr, "tagctl: calendar support: %s\n", cerr);
		free(c.db_path);
		tagd_config_free(&c.cfg);
		return CTL_FAIL;
	}
	const char *name = argv[optind];
	int rc = -1;
	for (const struct ctl_command *cmd = ctl_commands; cmd->name; cmd++) {
		if (strcmp(cmd->name, name) == 0) {
			rc = cmd->run(&c, argc - optind - 1, argv + optind + 1);
			break;
		}
	}
	if (rc == -1) {
		fprintf(stderr, "tagctl: unknown command '%s'\n", name);
		usage(stderr);
		rc = CTL_USAGE;
	}
	store_close(&c.st);
	free(c.db_path);
	tagd_config_free(&c.cfg);
	call_shutdown();
	return rc;
}
