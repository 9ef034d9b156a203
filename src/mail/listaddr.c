#include "config.h"
#include "mail/listaddr.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

int listaddr_split(const char *addr, char **base_r, char **tag_r)
{
	const char *at = strrchr(addr, '@');
	*base_r = NULL;
	*tag_r = NULL;
	if (at == NULL || at == addr)
		return -1;
	const char *plus = memchr(addr, '+', (size_t)(at - addr));
	if (plus == NULL || plus == addr) {
		*base_r = xstrdup(addr);
		return 0;
	}
	*base_r = xasprintf("%.*s%s", (int)(plus - addr), addr, at);
	if (at > plus + 1)
		*tag_r = xstrndup(plus + 1, (size_t)(at - plus - 1));
	return 0;
}

char *listaddr_make(const char *base, const char *tag)
{
	const char *at = strrchr(base, '@');
	if (tag == NULL || at == NULL)
		return xstrdup(base);
	return xasprintf("%.*s+%s%s", (int)(at - base), base, tag, at);
}

const char *listaddr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at ? at + 1 : "";
}
