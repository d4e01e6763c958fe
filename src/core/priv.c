/*
 * priv.c: drop root for the configured user (see priv.h).
 *
 * setresgid/setresuid set the real, effective and saved IDs of every
 * thread (glibc applies them process-wide), so nothing can switch back;
 * that is checked rather than assumed. A non-root uid also loses every
 * capability root had.
 */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <pwd.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

/* Whether anything of root is left: any uid or gid 0, or a way back to uid 0. */
static bool
root_left(uid_t uid, gid_t gid)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return true;
	if (r != uid || e != uid || s != uid || rg != gid || eg != gid || sg != gid)
		return true;
	return setuid(0) == 0 || seteuid(0) == 0;
}

/* Not root: say when `user:` names someone else (only root can switch). */
static void
not_root(const char *user)
{
	struct passwd *pw = user ? getpwnam(user) : NULL;

	if (user != NULL && (pw == NULL || pw->pw_uid != geteuid()))
		log_warn("ticketd: running as uid %u, not as user %s: only root can switch users",
		         (unsigned)geteuid(), user);
}

int
priv_drop(const char *user, struct tk_err *err)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	int rc;

	if (geteuid() != 0) {
		not_root(user);
		return 0;
	}
	if (user == NULL)
		return tk_err_set(err, "refusing to run as root: set user: NAME in the configuration "
		                  "(ticketd drops to that user once its listeners are bound and its "
		                  "secrets read), or user: root to stay root");
	rc = getpwnam_r(user, &pw, buf, sizeof(buf), &found);
	if (found == NULL)
		return tk_err_set(err, "user: %s: %s", user, rc ? strerror(rc) : "no such user");
	if (pw.pw_uid == 0) {
		log_warn("ticketd: running as root (user: %s): a flaw anywhere has every privilege",
		         user);
		return 0;
	}
	if (initgroups(user, pw.pw_gid) < 0 ||
	    setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) < 0 ||
	    setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid) < 0)
		return tk_err_set(err, "cannot switch to user %s: %s", user, strerror(errno));
	if (root_left(pw.pw_uid, pw.pw_gid))
		return tk_err_set(err, "switched to user %s, but root could be regained", user);
	log_info("ticketd: running as user %s (uid %u, gid %u)", user, (unsigned)pw.pw_uid,
	         (unsigned)pw.pw_gid);
	return 0;
}
