/* SPDX-License-Identifier: Apache-2.0 */
/** The migration channel (mig/channel.h) over the TLS link. */
#ifndef LINK_MIG_CHANNEL_H
#define LINK_MIG_CHANNEL_H

#include "link/tls.h"
#include "mig/channel.h"

extern const struct mig_channel_ops link_mig_channel_ops; /**< ctx: struct link_tls */

#endif
