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

static int read_fd(int fd, size_t max, struct buf *out)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		if (out->len + (size_t)n > max) {
			errno = EFBIG;
			return -1;
		}
		buf_append(out, chunk, (size_t)n);
	}
}

/* an mbox starts with "From " and has more "\nFrom " separators */
static int is_mbox(const char *raw, size_t len)
{
	return len > 5 && memcmp(raw, "From ", 5) == 0;
}

static int each_mbox(const char *name, const char *raw, size_t len, size_t max, mailbox_each_fn fn, void *arg)
{
	int count = 0;
	size_t i = 0;
	struct buf msg;
	buf_init(&msg, max);
	char label[4096];
	while (i < len) {
		/* skip the "From " envelope line */
		const char *nl = memchr(raw + i, '\n', len - i);
		i = nl ? (size_t)(nl - raw) + 1 : len;
		buf_reset(&msg);
		while (i < len) {
			const char *e = memchr(raw + i, '\n', len - i);
			size_t end = e ? (size_t)(e - raw) + 1 : len;
			if (end - i >= 5 && memcmp(raw + i, "From ", 5) == 0)
				break;
			/* mboxrd: one '>' less before ">*From " */
			size_t k = i;
			while (k < end && raw[k] == '>')
				k++;
			if (k > i && end - k >= 5 && memcmp(raw + k, "From ", 5) == 0)
				buf_append(&msg, raw + i + 1, end - i - 1);
			else
				buf_append(&msg, raw + i, end - i);
			i = end;
		}
		/* the separator's blank line belongs to the mbox, not the message */
		if (msg.len && msg.data[msg.len - 1] == '\n' && msg.len >= 2 && msg.data[msg.len - 2] == '\n')
			buf_truncate(&msg, msg.len - 1);
		count++;
		snprintf(label, sizeof(label), "%s#%d", name, count);
		if (fn(arg, label, msg.data ? msg.data : "", msg.len) < 0)
			break;
	}
	buf_free(&msg);
	return count;
}

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

int mailbox_read(const char *path, size_t max_size, mailbox_each_fn fn, void *arg, const char **error_r)
{
	static char err[512];
	struct stat st;
	if (strcmp(path, "-") != 0) {
		if (stat(path, &st) < 0) {
			snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
			*error_r = err;
			return -1;
		}
		if (S_ISDIR(st.st_mode))
			return each_maildir(path, max_size, fn, arg, error_r);
	}
	struct buf data;
	/* an mbox may hold many messages: allow it to be larger than one */
	buf_init(&data, max_size * 64);
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_fd(fd, max_size * 64, &data) < 0) {
		snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
		*error_r = err;
		if (fd > 0)
			close(fd);
		buf_free(&data);
		return -1;
	}
	if (fd > 0)
		close(fd);
	int n;
	const char *name = strcmp(path, "-") == 0 ? "stdin" : path;
	if (is_mbox(buf_cstr(&data), data.len)) {
		n = each_mbox(name, data.data, data.len, max_size, fn, arg);
	} else {
		n = 1;
		fn(arg, name, buf_cstr(&data), data.len);
	}
	buf_free(&data);
	return n;
}

int maildir_create(const char *dir, const char **error_r)
{
	static char err[512];
	static const char *const subs[] = { "", "/tmp", "/new", "/cur" };
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
