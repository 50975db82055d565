/*
 * netaddr.h — what the collector may keep of a client's IP address.
 *
 * Owns two reductions of a peer address: the log form, truncated to its
 * /24 (IPv4) or /48 (IPv6) network so logs never hold a full address, and
 * the rate-limit key, the full IPv4 address or the /64 of an IPv6 address
 * (one host usually owns a whole /64, so a finer key would let it rotate
 * through 2^64 buckets).  IPv4-mapped IPv6 addresses count as IPv4.  Pure:
 * formatting over a sockaddr, no I/O, no lookups.
 */
#ifndef FS_NETADDR_H
#define FS_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

/** Large enough for either form ("ip:" + an IPv6 prefix + "/64"). */
#define FS_NETADDR_STRLEN 64

/** "192.0.2.0/24", "2001:db8:1::/48", or "-" for NULL / another family. */
void fs_netaddr_log_prefix(const struct sockaddr *sa, char out[FS_NETADDR_STRLEN]);

/** "ip:192.0.2.7", "ip:2001:db8:1:2::/64", or "ip:-" for NULL / another family. */
void fs_netaddr_rate_key(const struct sockaddr *sa, char out[FS_NETADDR_STRLEN]);

#endif
