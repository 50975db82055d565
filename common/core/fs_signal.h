/*
 * fs_signal.h — the stop flag of a daemon.
 *
 * Owns the one global the style allows: a sig_atomic_t set by SIGTERM and
 * SIGINT.  Daemons poll fs_signal_stop_requested() in their loops and then
 * finish in-flight work, flush and exit 0.  SIGPIPE is ignored so a closed
 * socket is an error return, not a death.
 */
#ifndef FS_SIGNAL_H
#define FS_SIGNAL_H

#include "fs_err.h"

/** Installs the SIGTERM/SIGINT handlers and ignores SIGPIPE. */
fs_err_t fs_signal_install(void) FS_WUR;

/** Non-zero once SIGTERM or SIGINT arrived (or fs_signal_request_stop was called). */
int fs_signal_stop_requested(void);

/** Sets the flag as if a signal had arrived (used by tests and fatal paths). */
void fs_signal_request_stop(void);

#endif
