/* SPDX-License-Identifier: Apache-2.0 */
/** The link options of the ferry tool, see link_options.h. */
#include "tools/ferry/link_options.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "link/link_config.h"
#include "tools/ferry/mgmt_client.h"
#include "tools/ferry/unix_path.h"

/**
 * Opens a secret of the link (link.conf, board.key) for reading, refusing a
 * symbolic link, anything but a regular file of this user, and a file other
 * users may read: a secret they could have read or replaced is no secret.
 */
static int open_secret(const char *path, char *err, size_t n)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ELOOP)
			snprintf(err, n,
				 "%s is a symbolic link: give the folder 'ferry creds' made", path);
		else
			snprintf(err, n, "cannot read %s: %s (make it with 'ferry creds')", path,
				 strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		snprintf(err, n, "%s is not a regular file", path);
	else if (st.st_uid != geteuid())
		snprintf(err, n, "%s belongs to another user (uid %u): a secret must be yours",
			 path, (unsigned)st.st_uid);
	else if (st.st_mode & 077)
		snprintf(err, n,
			 "%s is open to other users (mode %04o): it holds a secret; chmod 600 it "
			 "(ferry creds makes it so)",
			 path, (unsigned)(st.st_mode & 07777));
	else
		return fd;
	close(fd);
	return -1;
}

static const char *socket_option(int c)
{
	return c == LINK_OPT_MGMT	? "--mgmt"
	       : c == LINK_OPT_NET	? "--net"
	       : c == LINK_OPT_QEMU_QMP ? "--qemu-qmp"
					: "--net-listen";
}

bool mgmt_token_load(const char *path, char *token, char *err, size_t n)
{
	char text[MGMT_TOKEN_HEX + 3];
	int fd = open_secret(path, err, n);
	ssize_t len;

	if (fd < 0)
		return false;
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (len < 0) {
		snprintf(err, n, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	text[len] = '\0';
	if (len && text[len - 1] == '\n')
		text[--len] = '\0';
	if (len != MGMT_TOKEN_HEX || strspn(text, "0123456789abcdef") != MGMT_TOKEN_HEX) {
		snprintf(err, n,
			 "%s is not a management token (%d hex digits: ferry creds makes one)",
			 path, MGMT_TOKEN_HEX);
		return false;
	}
	memcpy(token, text, MGMT_TOKEN_HEX + 1);
	return true;
}

bool link_options_load(const char *dir, struct link_files *f, struct boot_options *opt, char *err,
		       size_t n)
{
	struct link_config cfg;
	char text[4096], why[160];
	ssize_t len;
	int fd;

	snprintf(f->conf, sizeof(f->conf), "%s/link.conf", dir);
	fd = open_secret(f->conf, err, n);
	if (fd < 0)
		return false;
	len = read(fd, text, sizeof(text));
	close(fd);
	if (len < 0) {
		snprintf(err, n, "cannot read %s: %s", f->conf, strerror(errno));
		return false;
	}
	/* The board checks it again; refusing here saves a boot. */
	if (!link_config_parse(text, (size_t)len, &cfg, why, sizeof(why))) {
		snprintf(err, n, "%s: %s", f->conf, why);
		return false;
	}
	opt->link_conf = f->conf;
	opt->net_mac_last = (unsigned char)(cfg.ip & 0xff);
	if (cfg.creds.auth != LINK_AUTH_CERT)
		return true;
	snprintf(f->ca, sizeof(f->ca), "%s/ca.crt", dir);
	snprintf(f->cert, sizeof(f->cert), "%s/board.crt", dir);
	snprintf(f->key, sizeof(f->key), "%s/board.key", dir);
	fd = open_secret(f->key, err, n);
	if (fd < 0)
		return false;
	close(fd);
	{
		const char *const need[] = { f->ca, f->cert };

		for (unsigned i = 0; i < 2; i++)
			if (access(need[i], R_OK)) {
				snprintf(err, n, "auth=cert needs %s", need[i]);
				return false;
			}
	}
	opt->link_ca = f->ca;
	opt->link_cert = f->cert;
	opt->link_key = f->key;
	return true;
}

int link_option(int c, const char *arg, struct link_files *files, struct boot_options *opt,
		const char *who)
{
	char err[1536];

	switch (c) {
	case LINK_OPT_TRACE:
		opt->uart_trace = arg;
		return 1;
	case LINK_OPT_LINK:
		if (!link_options_load(arg, files, opt, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", who, err);
			return -1;
		}
		return 1;
	case LINK_OPT_MGMT_TOKEN: {
		char token[MGMT_TOKEN_HEX + 1];

		/* The board refuses a bad one only once booted. */
		if (!mgmt_token_load(arg, token, err, sizeof(err))) {
			fprintf(stderr, "%s: --mgmt-token: %s\n", who, err);
			return -1;
		}
		opt->mgmt_token = arg;
		/* This command's own clients of the board (readiness, ferry update's quit). */
		mgmt_client_use_token(arg);
		return 1;
	}
	case LINK_OPT_NET:
	case LINK_OPT_NET_LISTEN:
	case LINK_OPT_MGMT:
	case LINK_OPT_QEMU_QMP:
		/* QEMU would refuse it only once started, or a peer would find no socket. */
		if (!unix_path_fits(socket_option(c), arg, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", who, err);
			return -1;
		}
		if (c == LINK_OPT_MGMT) {
			opt->mgmt_socket = arg;
		} else if (c == LINK_OPT_QEMU_QMP) {
			opt->qemu_qmp = arg;
		} else {
			opt->net_socket = arg;
			opt->net_server = c == LINK_OPT_NET_LISTEN;
		}
		return 1;
	default:
		return 0;
	}
}
