/*
 * netaddr.c — log-safe and rate-limit forms of a peer address (see netaddr.h).
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* The IPv4 address of @p sa (also when IPv4-mapped); 0 if not IPv4. */
static int ipv4_of(const struct sockaddr *sa, struct in_addr *v4)
{
    if (sa->sa_family == AF_INET) {
        *v4 = ((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        return 1;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a =
            &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            memcpy(&v4->s_addr, a->s6_addr + 12, 4);
            return 1;
        }
    }
    return 0;
}

/* Writes @p sa with the first @p v4_bits / @p v6_bits kept, then "/bits"
 * unless the whole address is kept. */
static void format(const struct sockaddr *sa, int v4_bits, int v6_bits,
                   const char *prefix, char *out)
{
    char text[INET6_ADDRSTRLEN] = "-";
    int bits = -1;
    struct in_addr v4;
    if (!sa) {
    } else if (ipv4_of(sa, &v4)) {
        uint32_t h = ntohl(v4.s_addr);
        if (v4_bits < 32)
            h &= ~(uint32_t)0 << (32 - v4_bits);
        v4.s_addr = htonl(h);
        inet_ntop(AF_INET, &v4, text, sizeof(text));
        bits = v4_bits < 32 ? v4_bits : -1;
    } else if (sa->sa_family == AF_INET6) {
        struct in6_addr a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        for (int i = 0; i < 16; i++) {
            int keep = v6_bits - i * 8;
            a.s6_addr[i] &= keep >= 8   ? 0xff
                            : keep <= 0 ? 0
                                        : (uint8_t)(0xff << (8 - keep));
        }
        inet_ntop(AF_INET6, &a, text, sizeof(text));
        bits = v6_bits < 128 ? v6_bits : -1;
    }
    if (bits >= 0)
        snprintf(out, FS_NETADDR_STRLEN, "%s%s/%d", prefix, text, bits);
    else
        snprintf(out, FS_NETADDR_STRLEN, "%s%s", prefix, text);
}

void fs_netaddr_log_prefix(const struct sockaddr *sa, char out[FS_NETADDR_STRLEN])
{
    format(sa, 24, 48, "", out);
}

void fs_netaddr_rate_key(const struct sockaddr *sa, char out[FS_NETADDR_STRLEN])
{
    format(sa, 32, 64, "ip:", out);
}
