/* enospc.c - an LD_PRELOAD shim for test-faults-disk.sh where no small
   filesystem can be mounted (not root): a fake only to inject the fault.

   While the file $ENOSPC_FLAG exists, every write that would need space in
   a regular file under $ENOSPC_DIR fails with ENOSPC, as on a full disk:
   write, writev, pwrite, pwrite64, pwritev, posix_fallocate, fallocate.
   Sockets, pipes and files elsewhere are untouched, so the program keeps
   talking to its peers and logging. Without both variables it does
   nothing. */
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* real - the next definition of name (libc's); abort if there is none */
static void *real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (f == NULL)
		abort();
	return f;
}

/* full - whether a write to fd fails now */
static int full(int fd)
{
	const char *flag = getenv("ENOSPC_FLAG");
	const char *dir = getenv("ENOSPC_DIR");
	if (flag == NULL || *flag == '\0' || dir == NULL || *dir == '\0')
		return 0;
	int saved = errno;
	int r = 0;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && access(flag, F_OK) == 0) {
		char link[64], path[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, path, sizeof(path) - 1);
		if (n > 0) {
			path[n] = '\0';
			size_t dl = strlen(dir);
			r = strncmp(path, dir, dl) == 0 && (path[dl] == '/' || path[dl] == '\0');
		}
	}
	errno = saved;
	return r;
}

/* nospace - the result of a write on a full disk */
static ssize_t nospace(void)
{
	errno = ENOSPC;
	return -1;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*f)(int, const void *, size_t);
	if (f == NULL)
		f = (ssize_t (*)(int, const void *, size_t))real("write");
	if (n > 0 && full(fd))
		return nospace();
	return f(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	static ssize_t (*f)(int, const struct iovec *, int);
	if (f == NULL)
		f = (ssize_t (*)(int, const struct iovec *, int))real("writev");
	if (cnt > 0 && full(fd))
		return nospace();
	return f(fd, iov, cnt);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	static ssize_t (*f)(int, const void *, size_t, off_t);
	if (f == NULL)
		f = (ssize_t (*)(int, const void *, size_t, off_t))real("pwrite");
	if (n > 0 && full(fd))
		return nospace();
	return f(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	static ssize_t (*f)(int, const void *, size_t, off64_t);
	if (f == NULL)
		f = (ssize_t (*)(int, const void *, size_t, off64_t))real("pwrite64");
	if (n > 0 && full(fd))
		return nospace();
	return f(fd, buf, n, off);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	static ssize_t (*f)(int, const struct iovec *, int, off_t);
	if (f == NULL)
		f = (ssize_t (*)(int, const struct iovec *, int, off_t))real("pwritev");
	if (cnt > 0 && full(fd))
		return nospace();
	return f(fd, iov, cnt, off);
}

int posix_fallocate(int fd, off_t off, off_t len)
{
	static int (*f)(int, off_t, off_t);
	if (f == NULL)
		f = (int (*)(int, off_t, off_t))real("posix_fallocate");
	if (full(fd))
		return ENOSPC;
	return f(fd, off, len);
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
	static int (*f)(int, int, off_t, off_t);
	if (f == NULL)
		f = (int (*)(int, int, off_t, off_t))real("fallocate");
	if (full(fd))
		return (int)nospace();
	return f(fd, mode, off, len);
}
