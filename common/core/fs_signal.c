/*
 * fs_signal.c — SIGTERM/SIGINT stop flag (see fs_signal.h).
 */
#include "fs_signal.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_requested; /* the one allowed global */

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

fs_err_t fs_signal_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        return FS_ERR_FATAL;
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) != 0)
        return FS_ERR_FATAL;
    return FS_OK;
}

int fs_signal_stop_requested(void)
{
    return stop_requested != 0;
}

void fs_signal_request_stop(void)
{
    stop_requested = 1;
}
