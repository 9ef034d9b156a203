/* token.c - HMAC tokens */
#include "config.h"
#include "tag/token.h"
#include "lib/digest.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

static int mac_hex(struct store *st, const char *kind, const char *subject, size_t sublen,
		   char out[TOKEN_MAC_HEX + 1])
{
	unsigned char key[32], mac[DIGEST_SHA256_LEN];
	if (store_secret(st, key) < 0)
		return -1;
	char *msg = xasprintf("%s:%.*s", kind, (int)sublen, subject);
	digest_hmac_sha256(key, sizeof(key), msg, strlen(msg), mac);
	free(msg);
	str_hex(mac, TOKEN_MAC_HEX / 2, out);
	return 0;
}

char *token_make(struct store *st, const char *kind, const char *subject)
{
	char mac[TOKEN_MAC_HEX + 1];
	if (mac_hex(st, kind, subject, strlen(subject), mac) < 0)
		return NULL;
	return xasprintf("%s-%s", subject, mac);
}

int token_check(struct store *st, const char *kind, const char *token, char **subject_r)
{
	const char *dash = strrchr(token, '-');
	if (dash == NULL || strlen(dash + 1) != TOKEN_MAC_HEX || dash == token)
		return -1;
	char want[TOKEN_MAC_HEX + 1], got[TOKEN_MAC_HEX + 1];
	if (mac_hex(st, kind, token, (size_t)(dash - token), want) < 0)
		return -1;
	/* addresses may come back in another case */
	for (int i = 0; i < TOKEN_MAC_HEX; i++) {
		char c = dash[1 + i];
		got[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
	}
	got[TOKEN_MAC_HEX] = '\0';
	if (!digest_equal(want, got, TOKEN_MAC_HEX))
		return -1;
	*subject_r = xstrndup(token, (size_t)(dash - token));
	return 0;
}
