/* SPDX-License-Identifier: Apache-2.0 */
/** The scripted peer, see script_peer.h. */
#include "tests/support/script_peer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/fake_vm.h"

static void *engine_thread(void *arg)
{
	struct script_peer *p = arg;

	if (p->dest)
		p->state = mig_dest_serve(p->dest, &p->ch);
	else if (p->reconnect)
		p->state = mig_source_reconnect(p->source, &p->ch);
	else
		p->state = mig_source_run(p->source, &p->ch);
	shutdown(p->peer_fd, SHUT_RDWR); /* as a board hangs up */
	return NULL;
}

static void start(struct script_peer *p)
{
	int sv[2];

	p->buf = malloc(MIG_RECORD_MAX);
	if (!p->buf || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		abort();
	p->fd = sv[0];
	p->peer_fd = sv[1];
	p->ch = (struct mig_channel){ &sock_channel_ops, &p->peer_fd };
	pthread_create(&p->thread, NULL, engine_thread, p);
}

void script_serve_dest(struct script_peer *p, struct mig_dest *d)
{
	*p = (struct script_peer){ .dest = d };
	start(p);
}

void script_run_source(struct script_peer *p, struct mig_source *s, bool reconnect)
{
	*p = (struct script_peer){ .source = s, .reconnect = reconnect };
	start(p);
}

bool script_send(struct script_peer *p, uint16_t type, uint16_t flags, const void *payload,
		 uint32_t len)
{
	struct mig_channel ch = { &sock_channel_ops, &p->fd };

	return mig_chan_send(&ch, type, flags, payload, len) == MIG_CHAN_OK;
}

bool script_read(struct script_peer *p, unsigned timeout_ms)
{
	struct mig_channel ch = { &sock_channel_ops, &p->fd };

	p->text[0] = 0;
	if (mig_chan_recv(&ch, p->buf, &p->rec, timeout_ms) != MIG_CHAN_OK)
		return false;
	if (p->rec.type == MIG_REC_ERROR || p->rec.type == MIG_REC_REFUSE) {
		struct mig_reader r = p->rec.payload;

		mig_get_text(&r, p->text, sizeof(p->text));
	}
	return true;
}

bool script_expect(struct script_peer *p, uint16_t type)
{
	while (script_read(p, 5000)) {
		if (p->rec.type == type)
			return true;
		/* A destination answers the source's clock at once (its own: a fixed time). */
		if (p->rec.type == MIG_REC_CLOCK && p->rec.length == 8) {
			uint64_t reply[2] = { 0, 5000000000ull };

			memcpy(&reply[0], p->rec.payload.buf, 8);
			script_send(p, MIG_REC_CLOCK_REPLY, 0, reply, sizeof(reply));
			continue;
		}
		/* what a source or destination may send along the way */
		if (p->rec.type != MIG_REC_SWITCHOVER_ACK && p->rec.type != MIG_REC_RAM &&
		    p->rec.type != MIG_REC_ROUND_END && p->rec.type != MIG_REC_POSTCOPY_DISCARD)
			return false;
	}
	return false;
}

enum mig_state script_end(struct script_peer *p)
{
	shutdown(p->fd, SHUT_RDWR);
	pthread_join(p->thread, NULL);
	close(p->fd);
	close(p->peer_fd);
	free(p->buf);
	return p->state;
}

uint32_t script_hello(uint8_t *buf, uint32_t size, const struct mig_hello *hello)
{
	struct mig_writer w;

	mig_writer_init(&w, buf, size);
	mig_hello_put(&w, hello);
	return (uint32_t)w.len;
}
