/* mailbox.c - messages from files, mboxes and Maildirs; Maildir delivery */
#include "config.h"
#include "tag/mailbox.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/digest.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int each_maildir(const char *dir, size_t max, mailbox_each_fn fn, void *arg, const char **error_r)
{
	static const char *const subs[] = { "new", "cur" };
	int count = 0;
	for (int s = 0; s < 2; s++) {
		char *path = xasprintf("%s/%s", dir, subs[s]);
		DIR *d = opendir(path);
		if (d == NULL) {
			free(path);
			continue;
		}
		char **names = NULL;
		int n = 0;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			names = xreallocarray(names, (size_t)n + 1, sizeof(char *));
			names[n++] = xasprintf("%s/%s", path, e->d_name);
		}
		closedir(d);
		if (n > 1)
			qsort(names, (size_t)n, sizeof(char *), cmp_str);
		int stop = 0;
		for (int i = 0; i < n; i++) {
			char *raw;
			size_t len;
			if (!stop && str_read_file(names[i], max, &raw, &len) == 0) {
				count++;
				if (fn(arg, names[i], raw, len) < 0)
					stop = 1;
				free(raw);
			}
			free(names[i]);
		}
		free(names);
		free(path);
		if (stop)
			break;
	}
	(void)error_r;
	return count;
}

/* each_mbox_stream - an mbox read line by line: one message in memory at a time */
static int each_mbox_stream(const char *name, FILE *f, struct buf *first, size_t max,
			    mailbox_each_fn fn, void *arg)
{
	int count = 0, stop = 0, oversize = 0;
	struct buf msg;
	buf_init(&msg, max);
	char label[4096];
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	/* the first line was read to recognise the mbox: it is a separator */
	(void)first;
	while (!stop) {
		n = getline(&line, &cap, f);
		int sep = n < 0 || (n >= 5 && memcmp(line, "From ", 5) == 0);
		if (sep) {
			/* the blank line before a separator belongs to the mbox */
			if (msg.len && msg.data[msg.len - 1] == '\n' && msg.len >= 2 && msg.data[msg.len - 2] == '\n')
				buf_truncate(&msg, msg.len - 1);
			count++;
			snprintf(label, sizeof(label), "%s#%d", name, count);
			if (oversize)
				fn(arg, label, NULL, 0);
			else if (fn(arg, label, msg.data ? msg.data : "", msg.len) < 0)
				stop = 1;
			buf_reset(&msg);
			oversize = 0;
			if (n < 0)
				break;
			continue;
		}
		/* mboxrd: one '>' less before ">*From " */
		ssize_t k = 0;
		while (k < n && line[k] == '>')
			k++;
		const char *p = line;
		size_t len = (size_t)n;
		if (k > 0 && n - k >= 5 && memcmp(line + k, "From ", 5) == 0) {
			p++;
			len--;
		}
		if (buf_append(&msg, p, len) < 0)
			oversize = 1;
	}
	free(line);
	buf_free(&msg);
	return count;
}

int mailbox_read(const char *path, size_t max_size, mailbox_each_fn fn, void *arg, const char **error_r)
{
	static char err[512];
	struct stat st;
	int is_stdin = strcmp(path, "-") == 0;
	if (!is_stdin) {
		if (stat(path, &st) < 0) {
			snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
			*error_r = err;
			return -1;
		}
		if (S_ISDIR(st.st_mode))
			return each_maildir(path, max_size, fn, arg, error_r);
	}
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	if (f == NULL) {
		snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
		*error_r = err;
		return -1;
	}
	const char *name = is_stdin ? "stdin" : path;
	/* peek at the first line: "From " starts an mbox */
	char head[5];
	size_t got = fread(head, 1, sizeof(head), f);
	int n;
	if (got == 5 && memcmp(head, "From ", 5) == 0) {
		/* skip the rest of the first separator line */
		int c;
		while ((c = getc(f)) != EOF && c != '\n')
			;
		n = each_mbox_stream(name, f, NULL, max_size, fn, arg);
	} else {
		struct buf data;
		buf_init(&data, max_size);
		buf_append(&data, head, got);
		int ok = 1;
		char chunk[65536];
		size_t r;
		while (ok && (r = fread(chunk, 1, sizeof(chunk), f)) > 0)
			if (buf_append(&data, chunk, r) < 0) {
				errno = EFBIG;
				ok = 0;
			}
		if (ok && ferror(f))
			ok = 0;
		if (!ok) {
			snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
			*error_r = err;
			buf_free(&data);
			if (!is_stdin)
				fclose(f);
			return -1;
		}
		n = 1;
		fn(arg, name, buf_cstr(&data), data.len);
		buf_free(&data);
	}
	if (!is_stdin)
		fclose(f);
	return n;
}

int maildir_create(const char *dir, const char **error_r)
{
	static char err[512];
	static const char *const subs[] = { "", "/tmp", "/new", "/cur" };
	/* the directories above it too (the default outbox, mail/out, sits
	   in a mail/ nobody else creates) */
	char *up = xstrdup(dir);
	for (char *sl = strchr(up + 1, '/'); sl; sl = strchr(sl + 1, '/')) {
		*sl = '\0';
		if (mkdir(up, 0700) < 0 && errno != EEXIST) {
			snprintf(err, sizeof(err), "%s: %s", up, strerror(errno));
			free(up);
			*error_r = err;
			return -1;
		}
		*sl = '/';
	}
	free(up);
	for (int i = 0; i < 4; i++) {
		char *p = xasprintf("%s%s", dir, subs[i]);
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			snprintf(err, sizeof(err), "%s: %s", p, strerror(errno));
			free(p);
			*error_r = err;
			return -1;
		}
		free(p);
	}
	return 0;
}

int maildir_deliver(const char *dir, const char *raw, size_t len, char **path_r, const char **error_r)
{
	static char err[512];
	static unsigned counter;
	if (maildir_create(dir, error_r) < 0)
		return -1;
	unsigned char rnd[6];
	char hex[13];
	digest_random(rnd, sizeof(rnd));
	str_hex(rnd, sizeof(rnd), hex);
	char host[64] = "localhost";
	gethostname(host, sizeof(host) - 1);
	for (char *c = host; *c; c++)
		if (*c == '/' || *c == ':')
			*c = '_';
	char *base = xasprintf("%lld.M%uP%dR%s.%s", (long long)clock_now(), counter++, (int)getpid(), hex, host);
	char *tmp = xasprintf("%s/tmp/%s", dir, base);
	char *dst = xasprintf("%s/new/%s", dir, base);
	free(base);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t off = 0;
	int ok = fd >= 0;
	while (ok && off < len) {
		ssize_t n = write(fd, raw + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ok = 0;
		else
			off += (size_t)n;
	}
	if (ok && fsync(fd) < 0)
		ok = 0;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	if (ok && rename(tmp, dst) < 0)
		ok = 0;
	if (!ok) {
		snprintf(err, sizeof(err), "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		free(dst);
		*error_r = err;
		return -1;
	}
	free(tmp);
	if (path_r)
		*path_r = dst;
	else
		free(dst);
	return 0;
}
