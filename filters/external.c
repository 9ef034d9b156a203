#include "config.h"
/* The external stage: an organizer's own program (a spam scorer, a policy
   script) sees the raw message on its standard input and answers with its
   exit status: 0 lets the message through, 1 holds it for the organizers,
   2 rejects it; the first line of its standard output is the reason.
   The program runs without a shell (its command line is split on blanks),
   in its own process group, with a time limit; when it crashes, hangs or
   cannot be started the message is held, so nothing is lost to a broken
   filter. */
#include "filters/filter.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* EXTERNAL_MAX_ARGS - words in the command line */
#define EXTERNAL_MAX_ARGS 32
/* EXTERNAL_MAX_OUTPUT - bytes of stdout (and of stderr) kept; the rest is read and dropped */
#define EXTERNAL_MAX_OUTPUT ((size_t)64 * 1024)
/* EXTERNAL_DEFAULT_TIMEOUT_MS - when the config gives none */
#define EXTERNAL_DEFAULT_TIMEOUT_MS 30000
/* EXTERNAL_POLL_MS - how often a running program is checked on */
#define EXTERNAL_POLL_MS 50

/* now_ms - a monotonic clock for time limits (not the wall clock: the
   demo's simulated clock must not stretch a child's time limit) */
static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* split_argv - the command line split on blanks into argv (at most
   EXTERNAL_MAX_ARGS words, NULL-terminated); the words point into copy */
static int split_argv(char *copy, char **argv)
{
	int n = 0;
	char *p = copy;
	while (*p != '\0' && n < EXTERNAL_MAX_ARGS) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		argv[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	argv[n] = NULL;
	return n;
}

/* first_line - the first non-blank line of out, control characters dropped,
   into line (cut to size) */
static void first_line(const struct buf *out, char *line, size_t size)
{
	const char *s = buf_cstr(out);
	while (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t')
		s++;
	size_t n = 0;
	for (; *s != '\0' && *s != '\n' && n + 1 < size; s++)
		if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			line[n++] = *s;
	while (n > 0 && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
}

/* set_nonblock - O_NONBLOCK on fd */
static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* close_fd - close *fd if open and mark it closed */
static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* child_exec - in the child: stdin, stdout, stderr from the pipes, default
   signals, own process group, then the program; never returns. Only
   async-signal-safe calls here (the daemon has threads): a failure to
   start is reported as its errno through exec_fd, which exec closes. */
static void child_exec(char **argv, int in_fd, int out_fd, int err_fd, int exec_fd)
{
	setpgid(0, 0);
	/* first out of the way of 0..3 (a daemon may have closed its stdio) */
	int fds[4] = { in_fd, out_fd, err_fd, exec_fd };
	for (int i = 0; i < 4; i++)
		if ((fds[i] = fcntl(fds[i], F_DUPFD, 10)) < 0)
			goto fail;
	exec_fd = fds[3];
	for (int i = 0; i < 4; i++)
		if (dup2(fds[i], i) < 0)
			goto fail;
	exec_fd = 3;
	fcntl(3, F_SETFD, FD_CLOEXEC);
	closefrom(4);
	signal(SIGPIPE, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
fail:;
	int e = errno;
	ssize_t w = write(exec_fd, &e, sizeof(e));
	(void)w;
	_exit(127);
}

/* read_some - read what is there from *fd into b (dropping what passes the
   cap); closes *fd at end of file */
static void read_some(int *fd, struct buf *b)
{
	char chunk[4096];
	for (;;) {
		ssize_t r = read(*fd, chunk, sizeof(chunk));
		if (r > 0) {
			if (b->len < EXTERNAL_MAX_OUTPUT)
				buf_append(b, chunk, (size_t)r);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close_fd(fd);
		return;
	}
}

struct run_result {
	int started;            /* the program is running (exec succeeded) */
	int timed_out;
	int status;             /* waitpid status, valid when exited */
	int exited;             /* waitpid reported it */
	int err;                /* errno of a failure to start */
};

/* run_program - run argv with raw on its stdin, collecting stdout and stderr */
static void run_program(char **argv, const char *raw, size_t rawlen, int timeout_ms,
			struct buf *out, struct buf *err, struct run_result *res)
{
	int in[2] = { -1, -1 }, po[2] = { -1, -1 }, pe[2] = { -1, -1 }, ex[2] = { -1, -1 };
	memset(res, 0, sizeof(*res));
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 ||
	    pipe2(ex, O_CLOEXEC) < 0) {
		res->err = errno;
		close_fd(&in[0]), close_fd(&in[1]), close_fd(&po[0]), close_fd(&po[1]);
		close_fd(&pe[0]), close_fd(&pe[1]), close_fd(&ex[0]), close_fd(&ex[1]);
		return;
	}
	/* a program that exits without reading its input must not kill us
	   with SIGPIPE: block it while we write, and take back any we caused */
	sigset_t pipe_set, old_mask, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
	sigpending(&pending);
	int pipe_was_pending = sigismember(&pending, SIGPIPE);

	pid_t pid = fork();
	if (pid < 0) {
		res->err = errno;
		close_fd(&in[0]), close_fd(&in[1]), close_fd(&po[0]), close_fd(&po[1]);
		close_fd(&pe[0]), close_fd(&pe[1]), close_fd(&ex[0]), close_fd(&ex[1]);
		pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
		return;
	}
	if (pid == 0)
		child_exec(argv, in[0], po[1], pe[1], ex[1]);
	/* the parent also puts the child in its group, so a kill of the group
	   cannot miss it whichever of the two runs first */
	setpgid(pid, pid);
	close_fd(&in[0]);
	close_fd(&po[1]);
	close_fd(&pe[1]);
	close_fd(&ex[1]);
	/* end of file: the program runs; an errno: it could not be started */
	int exec_err = 0;
	ssize_t got;
	while ((got = read(ex[0], &exec_err, sizeof(exec_err))) < 0 && errno == EINTR)
		;
	close_fd(&ex[0]);
	if (got == (ssize_t)sizeof(exec_err)) {
		res->err = exec_err;
		while (waitpid(pid, &res->status, 0) < 0 && errno == EINTR)
			;
		close_fd(&in[1]), close_fd(&po[0]), close_fd(&pe[0]);
		pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
		return;
	}
	res->started = 1;
	set_nonblock(in[1]);
	set_nonblock(po[0]);
	set_nonblock(pe[0]);

	long long deadline = now_ms() + timeout_ms;
	size_t written = 0;
	if (rawlen == 0)
		close_fd(&in[1]);
	for (;;) {
		if (!res->exited) {
			pid_t w = waitpid(pid, &res->status, WNOHANG);
			if (w == pid)
				res->exited = 1;
			else if (w < 0 && errno != EINTR) {
				res->exited = 1;        /* reaped elsewhere (SIGCHLD ignored) */
				res->status = -1;
			}
		}
		if (res->exited) {
			/* what it wrote before exiting is still in the pipes */
			if (po[0] >= 0)
				read_some(&po[0], out);
			if (pe[0] >= 0)
				read_some(&pe[0], err);
			break;
		}
		long long left = deadline - now_ms();
		if (left <= 0) {
			res->timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &res->status, 0) < 0 && errno == EINTR)
				;
			res->exited = 1;
			break;
		}
		struct pollfd fds[3];
		int nf = 0;
		int i_in = -1, i_out = -1, i_err = -1;
		if (in[1] >= 0)
			fds[i_in = nf++] = (struct pollfd){ in[1], POLLOUT, 0 };
		if (po[0] >= 0)
			fds[i_out = nf++] = (struct pollfd){ po[0], POLLIN, 0 };
		if (pe[0] >= 0)
			fds[i_err = nf++] = (struct pollfd){ pe[0], POLLIN, 0 };
		int wait = left < EXTERNAL_POLL_MS ? (int)left : EXTERNAL_POLL_MS;
		int pr = poll(fds, (nfds_t)nf, wait);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			continue;
		if (i_in >= 0 && fds[i_in].revents != 0) {
			ssize_t w = write(in[1], raw + written, rawlen - written);
			if (w > 0)
				written += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				close_fd(&in[1]);       /* EPIPE: it stopped reading */
			if (written >= rawlen)
				close_fd(&in[1]);
		}
		if (i_out >= 0 && fds[i_out].revents != 0)
			read_some(&po[0], out);
		if (i_err >= 0 && fds[i_err].revents != 0)
			read_some(&pe[0], err);
	}
	close_fd(&in[1]);
	close_fd(&po[0]);
	close_fd(&pe[0]);
	sigpending(&pending);
	if (!pipe_was_pending && sigismember(&pending, SIGPIPE)) {
		struct timespec zero = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
}

/* external_run - run env->external_program on the raw message and act on its exit */
static enum filter_verdict external_run(struct filter_ctx *ctx)
{
	const struct filter_env *env = ctx->env;
	if (env == NULL || env->external_program == NULL || env->external_program[0] == '\0')
		return FILTER_CONTINUE;
	char *copy = xstrdup(env->external_program);
	char *argv[EXTERNAL_MAX_ARGS + 1];
	if (split_argv(copy, argv) == 0) {
		free(copy);
		return FILTER_CONTINUE;
	}
	int timeout = env->external_timeout_ms > 0 ? env->external_timeout_ms
						   : EXTERNAL_DEFAULT_TIMEOUT_MS;
	struct buf out, err;
	struct run_result res;
	buf_init(&out, EXTERNAL_MAX_OUTPUT + 4096);
	buf_init(&err, EXTERNAL_MAX_OUTPUT + 4096);
	run_program(argv, ctx->raw != NULL ? ctx->raw : "", ctx->raw != NULL ? ctx->rawlen : 0,
		    timeout, &out, &err, &res);
	char line[200], eline[200];
	first_line(&out, line, sizeof(line));
	first_line(&err, eline, sizeof(eline));
	enum filter_verdict v = FILTER_CONTINUE;
	if (!res.started) {
		v = filter_decide(ctx, CLASS_HELD, "external filter: cannot run %s: %s", argv[0],
				  strerror(res.err));
	} else if (res.timed_out) {
		v = filter_decide(ctx, CLASS_HELD, "external filter: %s timed out after %d ms",
				  argv[0], timeout);
	} else if (res.status == -1) {
		v = filter_decide(ctx, CLASS_HELD, "external filter: %s: exit status lost", argv[0]);
	} else if (WIFSIGNALED(res.status)) {
		int sig = WTERMSIG(res.status);
		v = filter_decide(ctx, CLASS_HELD, "external filter: %s killed by signal %d (%s)",
				  argv[0], sig, strsignal(sig));
	} else if (WIFEXITED(res.status)) {
		int code = WEXITSTATUS(res.status);
		if (code == 0)
			v = FILTER_CONTINUE;
		else if (code == 1)
			v = filter_decide(ctx, CLASS_HELD, "external filter: %s",
					  line[0] != '\0' ? line : "held (exit 1)");
		else if (code == 2)
			v = filter_decide(ctx, CLASS_REJECTED, "external filter: %s",
					  line[0] != '\0' ? line : "rejected (exit 2)");
		else
			v = filter_decide(ctx, CLASS_HELD, "external filter: %s exited %d%s%s", argv[0],
					  code, eline[0] != '\0' ? ": " : "", eline);
	}
	if (v == FILTER_STOP && eline[0] != '\0')
		log_warn("external filter %s: %s", argv[0], eline);
	buf_free(&out);
	buf_free(&err);
	free(copy);
	return v;
}

const struct filter filter_external = { "external", external_run };
