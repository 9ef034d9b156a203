#ifndef TAGD_TLSCHECK_H
#define TAGD_TLSCHECK_H
/* Certificate chain verification with GnuTLS, for connections whose TLS
   library does not verify (Debian's libetpan 1.9.4 accepts any certificate:
   DEPENDENCIES.md §1). The caller hands over the chain the server sent and
   the name it meant to reach; nothing here touches the network. */
#include <stddef.h>

/* Limits on what a server may send. */
#define TLSCHECK_MAX_CHAIN 16          /* certificates looked at, leaf first */
#define TLSCHECK_MAX_CERT_BYTES 65536  /* one DER certificate */

struct tlscheck_cert {
	const unsigned char *der;  /* DER bytes; borrowed */
	size_t len;
};

/* tlscheck_verify - verify chain[0..n) (leaf first, as sent by the server)
   against the trust anchors in ca_file (PEM, one or more certificates: a
   private CA) or, when ca_file is NULL or "", the system trust store; check
   that the leaf names host (a DNS name or an IP literal) and may serve TLS
   (key purpose serverAuth). Returns 0 when trusted; -1 otherwise with a
   reason in *error_r (e.g. "The certificate is NOT trusted. The certificate
   issuer is unknown." or "cannot read CA file /x: ..."), valid until the next
   call from the same thread. An empty chain is an error. */
int tlscheck_verify(const struct tlscheck_cert *chain, size_t n,
		    const char *ca_file, const char *host, const char **error_r);

#endif
