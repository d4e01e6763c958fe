/*
 * netaddr.c: parse and print listen addresses (netaddr.h).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "netaddr.h"

static int
parse_unix(const char *who, const char *spec, struct sockaddr_storage *ss, socklen_t *len_r,
           struct tk_err *err)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;

	if (strlen(spec) >= sizeof(un->sun_path))
		return tk_err_set(err, "%s: listen \"%s\": a socket path has at most %zu bytes", who,
		                  spec, sizeof(un->sun_path) - 1);
	un->sun_family = AF_UNIX;
	strcpy(un->sun_path, spec);
	*len_r = (socklen_t)sizeof(*un);
	return 0;
}

int
netaddr_parse(const char *who, const char *spec, struct sockaddr_storage *ss, socklen_t *len_r,
              struct tk_err *err)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	                          .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	const char *colon = strrchr(spec, ':');
	char host[128];
	size_t hl;
	int rc;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '/')
		return parse_unix(who, spec, ss, len_r, err);
	if (colon == NULL)
		return tk_err_set(err, "%s: listen \"%s\" is not ADDRESS:PORT", who, spec);
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return tk_err_set(err, "%s: listen address too long", who);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	rc = getaddrinfo(hl && strcmp(host, "*") != 0 ? host : NULL, colon + 1, &hints, &ai);
	if (rc != 0)
		return tk_err_set(err, "%s: listen \"%s\": %s", who, spec, gai_strerror(rc));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len_r = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

void
netaddr_name(int fd, bool peer, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";

	memset(&ss, 0, sizeof(ss));
	if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
	            getsockname(fd, (struct sockaddr *)&ss, &len)) < 0) {
		snprintf(out, outlen, "?");
	} else if (ss.ss_family == AF_UNIX) {
		snprintf(out, outlen, "%s", peer ? "unix" : ((struct sockaddr_un *)&ss)->sun_path);
	} else if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%u", host, ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
}
