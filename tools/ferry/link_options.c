/* SPDX-License-Identifier: Apache-2.0 */
/** The link options of the ferry tool, see link_options.h. */
#include "tools/ferry/link_options.h"

#include <stdio.h>
#include <unistd.h>

#include "link/link_config.h"

bool link_options_load(const char *dir, struct link_files *f, struct boot_options *opt, char *err,
		       size_t n)
{
	struct link_config cfg;
	char text[4096], why[160];
	size_t len;
	FILE *in;

	snprintf(f->conf, sizeof(f->conf), "%s/link.conf", dir);
	in = fopen(f->conf, "r");
	if (!in) {
		snprintf(err, n, "cannot read %s (make it with 'ferry creds')", f->conf);
		return false;
	}
	len = fread(text, 1, sizeof(text), in);
	fclose(in);
	/* The board checks it again; refusing here saves a boot. */
	if (!link_config_parse(text, len, &cfg, why, sizeof(why))) {
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
	{
		const char *const need[] = { f->ca, f->cert, f->key };

		for (unsigned i = 0; i < 3; i++)
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
	char err[512];

	switch (c) {
	case LINK_OPT_LINK:
		if (!link_options_load(arg, files, opt, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", who, err);
			return -1;
		}
		return 1;
	case LINK_OPT_NET:
	case LINK_OPT_NET_LISTEN:
		opt->net_socket = arg;
		opt->net_server = c == LINK_OPT_NET_LISTEN;
		return 1;
	case LINK_OPT_MGMT:
		opt->mgmt_socket = arg;
		return 1;
	default:
		return 0;
	}
}
