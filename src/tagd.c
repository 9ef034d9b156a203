/* tagd - the TAG mail gateway daemon */
#include "config.h"
#include "tag/daemon.h"
#include "tag/session.h"
#include "tag/settings.h"
#include "lib/clock.h"
#include "lib/log.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tagd [-c tagd.conf] [-d DB] [options]\n\n"
		"Run a Technical Advisory Group review week over email: take mail from the\n"
		"Maildir inbox, IMAP and LMTP, thread comments onto the draft's paragraphs,\n"
		"send through the outbox and run each session's schedule.\n\n"
		"Options:\n"
		"  -c, --config FILE      read this tagd.conf (default " TAGD_SYSCONFDIR "/tagd.conf if present,\n"
		"                         else the embedded defaults)\n"
		"  -d, --database DB      use this SQLite database\n"
		"  -v, --debug LIST       debug log for subsystems: main,store,imap,lmtp,smtp,\n"
		"                         mail,filter,thread,sched,call,config or all\n"
		"      --daemon           go to the background (logs to syslog)\n"
		"      --once             take the mail that is there, do what is due, exit\n"
		"      --clock TIME       run a simulated clock from TIME (YYYY-MM-DD HH:MM, UTC)\n"
		"      --speed N          simulated seconds per real second (with --clock)\n"
		"      --until TIME       exit when the clock reaches TIME (UTC)\n"
		"      --check-config     check the config and every session file, then exit\n"
		"      --check-connections  with --check-config: also log in to IMAP\n"
		"      --dump-config      print the effective settings (secrets hidden)\n"
		"  -h, --help             this help\n"
		"  -V, --version          print the version\n\n"
		"Signals: HUP reloads the config and templates; TERM or INT finish the\n"
		"message and the transaction under way, then exit; a second one exits at once.\n");
}

static int parse_time(const char *s, time_t *t)
{
	const char *err;
	if (clock_parse_local(s, "UTC", t, &err) < 0) {
		fprintf(stderr, "tagd: '%s': %s\n", s, err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_DAEMON = 256, O_ONCE, O_CLOCK, O_SPEED, O_UNTIL, O_CHECK, O_CONN, O_DUMP, O_REF };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "database", required_argument, NULL, 'd' },
		{ "debug", required_argument, NULL, 'v' },
		{ "daemon", no_argument, NULL, O_DAEMON },
		{ "once", no_argument, NULL, O_ONCE },
		{ "clock", required_argument, NULL, O_CLOCK },
		{ "speed", required_argument, NULL, O_SPEED },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "check-config", no_argument, NULL, O_CHECK },
		{ "check-connections", no_argument, NULL, O_CONN },
		{ "dump-config", no_argument, NULL, O_DUMP },
		{ "config-reference", required_argument, NULL, O_REF },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts o;
	memset(&o, 0, sizeof(o));
	int check = 0, conn = 0, dump = 0, opt;
	log_open("tagd", 0);
	while ((opt = getopt_long(argc, argv, "c:d:v:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': o.config_path = optarg; break;
		case 'd': o.db_path = optarg; break;
		case 'v': o.debug = optarg; break;
		case O_DAEMON: o.background = 1; break;
		case O_ONCE: o.once = 1; break;
		case O_CLOCK:
			if (parse_time(optarg, &o.clock_start) < 0)
				return 2;
			break;
		case O_SPEED: {
			char *end;
			o.clock_speed = strtod(optarg, &end);
			if (*end || o.clock_speed <= 0 || o.clock_speed > 1e7) {
				fprintf(stderr, "tagd: --speed takes a number above 0\n");
				return 2;
			}
			break;
		}
		case O_UNTIL:
			if (parse_time(optarg, &o.until) < 0)
				return 2;
			break;
		case O_CHECK: check = 1; break;
		case O_CONN: conn = 1; break;
		case O_DUMP: dump = 1; break;
		case O_REF: {
			/* the settings tables as roff, for the man pages (undocumented) */
			struct buf out = BUF_INIT;
			if (strcmp(optarg, "conf") == 0)
				cfg_reference(tagd_config_defs, &out);
			else if (strcmp(optarg, "session") == 0)
				cfg_reference(session_conf_defs, &out);
			else
				return 2;
			fwrite(out.data, 1, out.len, stdout);
			buf_free(&out);
			return 0;
		}
		case 'h': usage(stdout); return 0;
		case 'V': printf("tagd %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tagd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (conn && !check) {
		fprintf(stderr, "tagd: --check-connections goes with --check-config\n");
		return 2;
	}
	if (dump)
		return daemon_dump_config(o.config_path);
	if (check)
		return daemon_check_config(o.config_path, conn);
	return daemon_run(&o);
}
