/*
 * netaddr.h: listen addresses as the config writes them: "ADDRESS:PORT"
 * with a numeric IPv4 or IPv6 address ("[::1]:24"; "*:24" or ":24" for
 * every address), or an absolute path for a Unix socket.
 */
#ifndef TK_NETADDR_H
#define TK_NETADDR_H

#include <stdbool.h>
#include <sys/socket.h>

#include "err.h"

/*
 * Parse spec into *ss (length *len_r): AF_UNIX for a path starting with
 * '/', else AF_INET or AF_INET6. -1 with err ("who: listen ...") when it is
 * neither, or the path is too long for a socket.
 */
int netaddr_parse(const char *who, const char *spec, struct sockaddr_storage *ss,
                  socklen_t *len_r, struct tk_err *err);
/*
 * "127.0.0.1:24", "[::1]:24" or the path of socket fd's own address, or
 * with peer its client's ("unix" for a Unix socket's), into out.
 */
void netaddr_name(int fd, bool peer, char *out, size_t outlen);

#endif
