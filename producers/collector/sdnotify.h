/*
 * sdnotify.h — systemd-style readiness notification, without libsystemd.
 *
 * Owns one datagram sent to $NOTIFY_SOCKET (a path, or "@name" for the
 * abstract namespace) per call: "READY=1" once the collector listens,
 * "STOPPING=1" when it starts draining (Type=notify units).  When the
 * variable is unset this does nothing.  Called from main only.
 */
#ifndef FS_SDNOTIFY_H
#define FS_SDNOTIFY_H

#include "fs_err.h"

/**
 * Sends @p state to $NOTIFY_SOCKET.  FS_OK when sent or when the variable is
 * unset; FS_ERR_IO otherwise (the caller logs it: notification is
 * advisory, the daemon keeps running).
 */
fs_err_t fs_sdnotify(const char *state) FS_WUR;

#endif
