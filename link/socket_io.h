/* SPDX-License-Identifier: Apache-2.0 */
/** The link's byte stream over a host socket (host tools and tests). */
#ifndef LINK_SOCKET_IO_H
#define LINK_SOCKET_IO_H

#include "link/link_io.h"

/** io over fd, which it makes non-blocking; ctx points to the fd. */
struct link_io link_socket_io(int *fd);

#endif
