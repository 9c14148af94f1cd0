/* udpconf-lwip: the udpconf process protocol, version 2 (Conformance/PROTOCOL.md), over lwIP 2.1.3.
 *
 * Requests come as JSON lines on stdin, replies go as JSON lines to stdout. Every socket operation is lwIP's
 * own socket API (lwip_socket, lwip_bind, lwip_connect, lwip_setsockopt, lwip_getsockopt, lwip_fcntl,
 * lwip_sendto, lwip_sendmsg, lwip_shutdown, lwip_close) over one lwIP netif per link of the host; lwIP has no
 * sendmmsg, which is answered "unsupported". The netifs' output
 * callbacks copy every IPv4 packet into a capture list that the reply carries. Nothing touches a real
 * network device or socket. See README.md for the mapping and what is not supported. */
#define _GNU_SOURCE

#include "lwip/opt.h"
#include "lwip/err.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

#if !LWIP_TCPIP_CORE_LOCKING
#error "this adapter expects lwIP built with LWIP_TCPIP_CORE_LOCKING (Debian's liblwip is)"
#endif
#if !LWIP_SOCKET_EXTERNAL_HEADERS
#error "this adapter expects lwIP's sockets on the system's headers (Debian's liblwip: LWIP_SOCKET_EXTERNAL_HEADERS)"
#endif

#define ADAPTER_NAME "lwip " LWIP_VERSION_STRING

/* Bytes of zeros after every buffer handed to lwIP: lwIP reads a fixed-size object (a sockaddr_in6, an int,
 * a struct ifreq) after checking only a length that the case chooses independently of the buffer. */
#define BUFFER_SLACK 512

/* The largest buffer accepted (its hex has to be on one line anyway). */
#define BUFFER_MAX (64u * 1024 * 1024)

/* Descriptors the "open" operation hands out: files outside lwIP, numbers lwIP never allocates in a case. */
#define FILE_FD_BASE 900000

/* lwIP's ephemeral port range (UDP_LOCAL_PORT_RANGE_START/END, compile-time defaults in udp.c). */
#define LWIP_PORT_LOW 0xc000
#define LWIP_PORT_HIGH 0xffff
/* A host port range is honored when it shares at least this many ports with lwIP's, from the first shared one
 * upwards: lwIP hands ports out one after the other, so a case never walks out of such a range. */
#define PORT_RANGE_MARGIN 1024

static FILE *proto_out;

static void logf_(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    fputs("udpconf-lwip: ", stderr);
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        logf_("out of memory");
        abort();
    }
    return p;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Links and the capture                                                                                         */

struct link {
    char name[64];
    int index;
    ip4_addr_t address, netmask, gateway;
    int mtu;
    int up;
    int is_default;
    struct netif netif;
};

static struct link *links;
static size_t link_count;

struct captured {
    const char *link;
    unsigned char *bytes;
    size_t length;
};

static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;
static struct captured *captures;
static size_t capture_count, capture_capacity;

/* The netif's IPv4 output: called by lwIP (under the core lock) with the whole packet, IP header first. */
static err_t capture_output(struct netif *netif, struct pbuf *p, const ip4_addr_t *next_hop)
{
    struct link *link = (struct link *)netif->state;
    LWIP_UNUSED_ARG(next_hop);
    unsigned char *bytes = xmalloc(p->tot_len);
    u16_t copied = pbuf_copy_partial(p, bytes, p->tot_len, 0);
    pthread_mutex_lock(&capture_lock);
    if (capture_count == capture_capacity) {
        capture_capacity = capture_capacity ? capture_capacity * 2 : 16;
        captures = realloc(captures, capture_capacity * sizeof *captures);
        if (captures == NULL) {
            logf_("out of memory");
            abort();
        }
    }
    captures[capture_count].link = link->name;
    captures[capture_count].bytes = bytes;
    captures[capture_count].length = copied;
    capture_count++;
    pthread_mutex_unlock(&capture_lock);
    return ERR_OK;
}

/* IPv6 output: the suite is about IPv4 and declares no "ipv6" feature; nothing should come here. */
static err_t drop_output_ip6(struct netif *netif, struct pbuf *p, const ip6_addr_t *next_hop)
{
    LWIP_UNUSED_ARG(next_hop);
    logf_("dropped an IPv6 packet of %u bytes on %s", (unsigned)p->tot_len, ((struct link *)netif->state)->name);
    return ERR_OK;
}

static err_t link_init(struct netif *netif)
{
    struct link *link = (struct link *)netif->state;
    netif->name[0] = link->name[0] ? link->name[0] : 'u';
    netif->name[1] = link->name[0] && link->name[1] ? link->name[1] : 'c';
    netif->output = capture_output;
#if LWIP_IPV6
    netif->output_ip6 = drop_output_ip6;
#endif
    netif->linkoutput = NULL;
    netif->mtu = (u16_t)link->mtu;
    netif->hwaddr_len = 0;
    /* A subnet broadcast address is a broadcast (as on Linux); no ARP, no IGMP (it would send reports). */
    netif->flags = NETIF_FLAG_BROADCAST;
    return ERR_OK;
}

static struct link *link_named(const char *name)
{
    for (size_t i = 0; i < link_count; i++)
        if (strcmp(links[i].name, name) == 0) return &links[i];
    return NULL;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* The tcpip thread                                                                                              */

static sem_t init_done;

static void tcpip_ready(void *arg)
{
    LWIP_UNUSED_ARG(arg);
    sem_post(&init_done);
}

static void post_semaphore(void *arg)
{
    sem_post((sem_t *)arg);
}

/* Waits until the tcpip thread has run everything queued before now (loopback deliveries, for example). The socket
 * calls themselves run in this thread under the core lock (LWIP_TCPIP_CORE_LOCKING), so their packets are already
 * captured when they return; this is for work they queued. */
static void settle(void)
{
    for (int round = 0; round < 2; round++) {
        sem_t done;
        sem_init(&done, 0, 0);
        if (tcpip_callback(post_semaphore, &done) == ERR_OK) {
            while (sem_wait(&done) != 0 && errno == EINTR) {
            }
        }
        sem_destroy(&done);
    }
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Replies                                                                                                       */

static void send_line(struct sbuf *b)
{
    sb_put(b, "\n", 1);
    fwrite(b->data, 1, b->length, proto_out);
    fflush(proto_out);
}

static void reply_unsupported(const struct jval *id, const char *why)
{
    struct sbuf b;
    sb_init(&b);
    sb_puts(&b, "{");
    if (id != NULL && id->type == J_NUMBER && id->is_integer) sb_printf(&b, "\"id\":%lld,", id->integer);
    sb_puts(&b, "\"unsupported\":");
    sb_json_string(&b, why);
    sb_puts(&b, "}");
    send_line(&b);
    sb_free(&b);
}

static void discard_captures(void)
{
    pthread_mutex_lock(&capture_lock);
    for (size_t i = 0; i < capture_count; i++) free(captures[i].bytes);
    capture_count = 0;
    pthread_mutex_unlock(&capture_lock);
}

static void put_packets(struct sbuf *b)
{
    pthread_mutex_lock(&capture_lock);
    sb_puts(b, "\"packets\":[");
    for (size_t i = 0; i < capture_count; i++) {
        sb_puts(b, i ? ",{\"link\":" : "{\"link\":");
        sb_json_string(b, captures[i].link);
        sb_puts(b, ",\"hex\":");
        sb_json_hex(b, captures[i].bytes, captures[i].length);
        sb_puts(b, "}");
        free(captures[i].bytes);
    }
    capture_count = 0;
    sb_puts(b, "]");
    pthread_mutex_unlock(&capture_lock);
}

static void put_errno(struct sbuf *b, int e)
{
    const char *name = e > 0 ? strerrorname_np(e) : NULL;
    if (name != NULL) {
        sb_puts(b, "\"errno\":");
        sb_json_string(b, name);
    } else {
        sb_printf(b, "\"errno\":%d", e);
    }
}

/* The reply of an operation that lwIP performed: ret (or errno when failed), the option bytes, the packets. */
static void reply_result(long long id, int failed, long long ret, int error, const unsigned char *option,
                         size_t option_length)
{
    struct sbuf b;
    sb_init(&b);
    sb_printf(&b, "{\"id\":%lld,", id);
    if (failed) {
        put_errno(&b, error);
    } else {
        sb_printf(&b, "\"ret\":%lld", ret);
        if (option != NULL) {
            sb_puts(&b, ",\"option\":");
            sb_json_hex(&b, option, option_length);
        }
    }
    sb_puts(&b, ",");
    put_packets(&b);
    sb_puts(&b, "}");
    send_line(&b);
    sb_free(&b);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Request fields                                                                                                */

/* Why a request cannot be performed; set by the field readers. */
static char why[512];

static int need_integer(const struct jval *m, const char *key, long long low, long long high, long long *out)
{
    const struct jval *v = json_get(m, key);
    if (v == NULL || v->type != J_NUMBER || !v->is_integer) {
        snprintf(why, sizeof why, "the request has no integer '%s'", key);
        return 0;
    }
    if (v->integer < low || v->integer > high) {
        snprintf(why, sizeof why, "'%s' is out of range: %lld", key, v->integer);
        return 0;
    }
    *out = v->integer;
    return 1;
}

static int need_int(const struct jval *m, const char *key, int *out)
{
    long long v;
    if (!need_integer(m, key, INT_MIN, INT_MAX, &v)) return 0;
    *out = (int)v;
    return 1;
}

/* Flags travel as unsigned 32-bit numbers (MsgFlags); lwIP takes an int. */
static int need_flags(const struct jval *m, const char *key, int *out)
{
    long long v;
    if (!need_integer(m, key, INT_MIN, UINT_MAX, &v)) return 0;
    *out = (int)(unsigned)v;
    return 1;
}

/* User memory: NULL, or a copy of the bytes followed by BUFFER_SLACK zeros. */
struct ubuf {
    unsigned char *p; /* NULL for a NULL pointer */
    size_t length;
};

static void ubuf_free(struct ubuf *b)
{
    free(b->p);
    b->p = NULL;
    b->length = 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* 1: read; 0: cannot be performed (why says it). A missing value is a NULL pointer, as JSON null is. */
static int read_buffer_value(const struct jval *v, const char *key, struct ubuf *out)
{
    out->p = NULL;
    out->length = 0;
    if (v == NULL || v->type == J_NULL) return 1;
    if (v->type != J_OBJECT) {
        snprintf(why, sizeof why, "'%s' is not a buffer", key);
        return 0;
    }
    const struct jval *hex = json_get(v, "hex");
    const struct jval *length = json_get(v, "length");
    if (hex == NULL || hex->type != J_STRING || hex->length % 2 != 0) {
        snprintf(why, sizeof why, "'%s' has no even-length 'hex'", key);
        return 0;
    }
    size_t readable = hex->length / 2;
    size_t total = readable;
    if (length != NULL && length->type != J_NULL) {
        if (length->type != J_NUMBER || !length->is_integer || length->integer < 0) {
            snprintf(why, sizeof why, "'%s' has a bad 'length'", key);
            return 0;
        }
        if ((unsigned long long)length->integer < readable) {
            snprintf(why, sizeof why, "'%s' is shorter (%lld) than its %zu bytes", key, length->integer, readable);
            return 0;
        }
        if ((unsigned long long)length->integer > readable) {
            snprintf(why, sizeof why,
                     "'%s' has unreadable bytes (%zu of %lld readable): lwIP copies user memory with memcpy and would "
                     "crash, it has no EFAULT (the adapter does not declare unreadable-memory)",
                     key, readable, length->integer);
            return 0;
        }
        total = (size_t)length->integer;
    }
    if (total > BUFFER_MAX) {
        snprintf(why, sizeof why, "'%s' is too large (%zu bytes)", key, total);
        return 0;
    }
    out->p = calloc(total + BUFFER_SLACK, 1);
    if (out->p == NULL) {
        logf_("out of memory");
        abort();
    }
    for (size_t i = 0; i < readable; i++) {
        int hi = hexval(hex->string[2 * i]), lo = hexval(hex->string[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            snprintf(why, sizeof why, "'%s' is not hex", key);
            ubuf_free(out);
            return 0;
        }
        out->p[i] = (unsigned char)(hi * 16 + lo);
    }
    out->length = total;
    return 1;
}

static int read_buffer(const struct jval *m, const char *key, struct ubuf *out)
{
    return read_buffer_value(json_get(m, key), key, out);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* The host                                                                                                      */

static int host_state; /* 0: none yet; 1: configured; -1: refused */
static int host_ttl = -1;

static int parse_ip4(const struct jval *v, ip4_addr_t *out)
{
    if (v == NULL || v->type != J_STRING) return 0;
    return ip4addr_aton(v->string, out) && strchr(v->string, '.') != NULL;
}

static int is_null_or_missing(const struct jval *v)
{
    return v == NULL || v->type == J_NULL;
}

static int is_false_or_missing(const struct jval *v)
{
    return v == NULL || v->type == J_NULL || (v->type == J_BOOL && !v->boolean);
}

static int is_zero_or_missing(const struct jval *v)
{
    return v == NULL || v->type == J_NULL || (v->type == J_NUMBER && v->is_integer && v->integer == 0);
}

static u32_t prefix_mask(int prefix)
{
    return prefix == 0 ? 0 : lwip_htonl(0xffffffffu << (32 - prefix));
}

/* Reads and checks the host; NULL when lwIP can honor it, else why not. Fills links and the settings. */
static const char *read_host(const struct jval *m, unsigned *first_port)
{
    static char reason[512];
    const struct jval *list = json_get(m, "links");
    if (list == NULL || list->type != J_ARRAY) return "the host has no 'links' list";
    links = calloc(list->length ? list->length : 1, sizeof *links);
    if (links == NULL) abort();
    link_count = 0;
    for (size_t i = 0; i < list->length; i++) {
        const struct jval *l = list->items[i];
        struct link *link = &links[link_count];
        const struct jval *name = json_get(l, "name");
        if (name == NULL || name->type != J_STRING || name->length == 0 || name->length >= sizeof link->name)
            return "a link has no usable 'name'";
        if (strcmp(name->string, "lo") == 0) return "a link named lo (lo is implicit)";
        if (link_named(name->string) != NULL) return "two links with one name";
        snprintf(link->name, sizeof link->name, "%s", name->string);
        long long index = 0, prefix, mtu;
        if (json_get(l, "index") != NULL && !need_integer(l, "index", 0, INT_MAX, &index)) return why;
        link->index = (int)index;
        if (!parse_ip4(json_get(l, "address"), &link->address)) return "a link has no IPv4 'address'";
        if (!need_integer(l, "prefix", 0, 32, &prefix)) return why;
        ip4_addr_set_u32(&link->netmask, prefix_mask((int)prefix));
        if (!need_integer(l, "mtu", 0, INT_MAX, &mtu)) return why;
        if (mtu < 68 || mtu > 65535) {
            snprintf(reason, sizeof reason,
                     "MTU %lld on %s: lwIP's netif->mtu is 16 bits, and below 68 (IPv4's minimum) ip4_frag cannot "
                     "make progress", mtu, link->name);
            return reason;
        }
        link->mtu = (int)mtu;
        const struct jval *up = json_get(l, "up");
        link->up = up == NULL || up->type != J_BOOL || up->boolean;
        const struct jval *also = json_get(l, "also");
        if (also != NULL && also->type == J_ARRAY && also->length > 0)
            return "a second address on a link: an lwIP netif has one IPv4 address";
        if (!is_false_or_missing(json_get(l, "offload")))
            return "checksum offload: this lwIP build always finishes the UDP checksum "
                   "(no LWIP_CHECKSUM_CTRL_PER_NETIF)";
        if (!is_false_or_missing(json_get(l, "ufo"))) return "UDP fragmentation offload: lwIP has no GSO/UFO";
        if (!is_false_or_missing(json_get(l, "queueFull")))
            return "a full device queue: lwIP has no device queue (the adapter's output callback takes every packet)";
        /* "sg" (scatter-gather) is a device property lwIP has no counterpart for: nothing to honor. */
        link_count++;
    }

    list = json_get(m, "routes");
    if (list != NULL && list->type != J_ARRAY) return "'routes' is not a list";
    int have_default = 0;
    for (size_t i = 0; list != NULL && i < list->length; i++) {
        const struct jval *r = list->items[i];
        const struct jval *kind = json_get(r, "kind");
        const struct jval *dev = json_get(r, "dev");
        ip4_addr_t destination, gateway;
        long long prefix;
        if (kind == NULL || kind->type != J_STRING) return "a route has no 'kind'";
        if (!parse_ip4(json_get(r, "destination"), &destination)) return "a route has no 'destination'";
        if (!need_integer(r, "prefix", 0, 32, &prefix)) return why;
        if (strcmp(kind->string, "unicast") != 0 && strcmp(kind->string, "onlink") != 0) {
            snprintf(reason, sizeof reason,
                     "a %s route: lwIP has no routing table (only the netifs' subnets and netif_default)",
                     kind->string);
            return reason;
        }
        if (!is_null_or_missing(json_get(r, "mtu"))) return "a route MTU: lwIP has no route metrics (only netif->mtu)";
        if (!is_false_or_missing(json_get(r, "lock"))) return "a locked route MTU: lwIP has no route metrics";
        if (!is_zero_or_missing(json_get(r, "tos"))) return "a TOS route selector: lwIP routes by destination only";
        if (!is_null_or_missing(json_get(r, "src"))) return "a route's preferred source: lwIP has no route attributes";
        if (!is_null_or_missing(json_get(r, "hoplimit"))) return "a route hoplimit: lwIP has no route metrics";
        if (dev == NULL || dev->type != J_STRING) return "a route without a device";
        struct link *link = link_named(dev->string);
        if (link == NULL) {
            snprintf(reason, sizeof reason, "a route over '%s', which is no link of the host", dev->string);
            return reason;
        }
        if (prefix == 0) {
            if (have_default) return "two default routes: lwIP has one netif_default";
            have_default = 1;
            link->is_default = 1;
            if (strcmp(kind->string, "unicast") == 0) {
                if (!parse_ip4(json_get(r, "gateway"), &gateway)) return "a gateway route without a gateway";
                link->gateway = gateway;
            }
            continue;
        }
        /* An on-link route for the link's own subnet is what lwIP does anyway. */
        if (strcmp(kind->string, "onlink") == 0 &&
            ip4_addr_get_u32(&link->netmask) == prefix_mask((int)prefix) &&
            ip4_addr_netcmp(&destination, &link->address, &link->netmask))
            continue;
        snprintf(reason, sizeof reason,
                 "a route to %s/%lld: lwIP has no routing table, only the netifs' subnets and one default netif",
                 json_get(r, "destination")->string, prefix);
        return reason;
    }

    const struct jval *drops = json_get(m, "drops");
    if (drops != NULL && drops->type == J_ARRAY && drops->length > 0) return "netfilter drops: lwIP has no packet filter";
    if (!is_null_or_missing(json_get(m, "veto"))) return "a security module veto: lwIP has no security hooks";
    const struct jval *privileged = json_get(m, "privileged");
    if (privileged != NULL && privileged->type == J_BOOL && !privileged->boolean)
        return "an unprivileged caller: lwIP has no privileges (any port, any option for everyone)";

    const struct jval *wmem = json_get(m, "wmem");
    if (wmem != NULL && wmem->type == J_ARRAY) {
        for (size_t i = 0; i < wmem->length; i++) {
            const struct jval *w = wmem->items[i];
            if (w->type == J_NULL) continue;
            if (w->type != J_NUMBER || !w->is_integer || w->integer != 212992)
                return "a send buffer size other than Linux's default: lwIP keeps no UDP send buffer accounting";
        }
    }

    const struct jval *pmtu = json_get(m, "pmtu");
    if (pmtu != NULL && pmtu->type != J_NULL) {
        if (pmtu->type != J_NUMBER || !pmtu->is_integer) return "'pmtu' is not a number";
        if (pmtu->integer != 0 && pmtu->integer != 1) {
            snprintf(reason, sizeof reason,
                     "PMTU mode %lld: lwIP never sets DF and has no path MTU discovery; only the default (want) and "
                     "dont are accepted", pmtu->integer);
            return reason;
        }
    }

    const struct jval *ttl = json_get(m, "ttl");
    if (ttl != NULL && ttl->type != J_NULL) {
        if (ttl->type != J_NUMBER || !ttl->is_integer || ttl->integer < 1 || ttl->integer > 255)
            return "'ttl' is not 1 to 255";
        host_ttl = (int)ttl->integer;
    }

    long long low = 32768, high = 60999;
    const struct jval *ports = json_get(m, "ports");
    if (ports != NULL && ports->type == J_ARRAY && ports->length == 2 && ports->items[0]->type == J_NUMBER &&
        ports->items[1]->type == J_NUMBER) {
        low = ports->items[0]->integer;
        high = ports->items[1]->integer;
    } else if (ports != NULL && ports->type != J_NULL) {
        return "'ports' is not [low, high]";
    }
    long long a = low > LWIP_PORT_LOW ? low : LWIP_PORT_LOW;
    long long b = high < LWIP_PORT_HIGH ? high : LWIP_PORT_HIGH;
    if (b - a + 1 < PORT_RANGE_MARGIN) {
        snprintf(reason, sizeof reason,
                 "the local port range %lld-%lld: lwIP takes ephemeral ports one after the other from a random "
                 "start in %d-%d (UDP_LOCAL_PORT_RANGE_START/END, compile-time); the adapter can only choose the start "
                 "(through the seed of LWIP_RAND), so it needs %d ports in common",
                 low, high, LWIP_PORT_LOW, LWIP_PORT_HIGH, PORT_RANGE_MARGIN);
        return reason;
    }
    *first_port = (unsigned)a;
    return NULL;
}

/* Seeds rand() (lwIP's LWIP_RAND) so that udp_init's random start makes `first` the first ephemeral port:
 * udp_port = 0xc000 + (rand() & 0x3fff), and udp_new_port hands out udp_port + 1 (0xc000 after 0xffff). */
static void seed_first_port(unsigned first)
{
    unsigned want = first == LWIP_PORT_LOW ? 0x3fffu : (first - 1u - LWIP_PORT_LOW) & 0x3fffu;
    for (unsigned seed = 1; seed != 0; seed++) {
        srand(seed);
        if (((unsigned)rand() & 0x3fffu) == want) {
            srand(seed);
            return;
        }
    }
    logf_("no seed gives the first port %u", first);
}

static void start_lwip(unsigned first_port)
{
    sem_init(&init_done, 0, 0);
    seed_first_port(first_port);
    tcpip_init(tcpip_ready, NULL);
    while (sem_wait(&init_done) != 0 && errno == EINTR) {
    }

    LOCK_TCPIP_CORE();
    for (size_t i = 0; i < link_count; i++) {
        struct link *link = &links[i];
        if (netif_add(&link->netif, &link->address, &link->netmask, &link->gateway, link, link_init, tcpip_input) ==
            NULL) {
            logf_("netif_add failed for %s", link->name);
            abort();
        }
        netif_set_link_up(&link->netif);
        if (link->up) netif_set_up(&link->netif);
    }
    struct netif *def = NULL;
    for (size_t i = 0; i < link_count; i++)
        if (links[i].is_default) def = &links[i].netif;
    netif_set_default(def);
    UNLOCK_TCPIP_CORE();
}

static void handle_host(const struct jval *m)
{
    unsigned first_port = LWIP_PORT_LOW;
    if (host_state != 0) {
        reply_unsupported(NULL, "a second host message");
        return;
    }
    const char *refused = read_host(m, &first_port);
    if (refused != NULL) {
        host_state = -1;
        logf_("host not supported: %s", refused);
        reply_unsupported(NULL, refused);
        return;
    }
    start_lwip(first_port);
    host_state = 1;
    settle();
    discard_captures();
    struct sbuf b;
    sb_init(&b);
    sb_puts(&b, "{\"ok\":true}");
    send_line(&b);
    sb_free(&b);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Operations                                                                                                    */

/* Descriptors of "open": files, outside lwIP. */
static int *file_fds;
static size_t file_fd_count;
static int next_file_fd = FILE_FD_BASE;

static int is_file_fd(int fd)
{
    for (size_t i = 0; i < file_fd_count; i++)
        if (file_fds[i] == fd) return 1;
    return 0;
}

static void forget_file_fd(int fd)
{
    for (size_t i = 0; i < file_fd_count; i++)
        if (file_fds[i] == fd) {
            file_fds[i] = file_fds[--file_fd_count];
            return;
        }
}

/* Whether fd is one of lwIP's live sockets (a harmless getsockopt; errno is restored). */
static int is_lwip_socket(int fd)
{
    int saved = errno, type = 0;
    socklen_t len = sizeof type;
    int ok = lwip_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
    errno = saved;
    return ok;
}

/* lwIP's default TTL is the compile-time UDP_TTL (255 in this build), for unicast and multicast alike; the host's
 * net.ipv4.ip_default_ttl is honored by giving each new socket that TTL, as an lwIP built with UDP_TTL = ttl would. */
static void apply_default_ttl(int fd, int type)
{
    if (host_ttl < 0) return;
    int saved = errno;
    int ttl = host_ttl;
    if (lwip_setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) != 0)
        logf_("could not set the default TTL on %d: errno %d", fd, errno);
    if ((type & 0xf) == SOCK_DGRAM) {
        u8_t mttl = (u8_t)host_ttl;
        if (lwip_setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &mttl, sizeof mttl) != 0)
            logf_("could not set the default multicast TTL on %d: errno %d", fd, errno);
    }
    errno = saved;
}

static void op_socket(long long id, const struct jval *m)
{
    int domain, type, protocol;
    if (!need_int(m, "domain", &domain) || !need_int(m, "type", &type) || !need_int(m, "protocol", &protocol)) {
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    errno = 0;
    int fd = lwip_socket(domain, type, protocol);
    int e = errno;
    if (fd >= 0) apply_default_ttl(fd, type);
    settle();
    reply_result(id, fd < 0, fd, e, NULL, 0);
}

static void op_open(long long id)
{
    int *grown = realloc(file_fds, (file_fd_count + 1) * sizeof *file_fds);
    if (grown == NULL) abort();
    file_fds = grown;
    int fd = next_file_fd++;
    file_fds[file_fd_count++] = fd;
    reply_result(id, 0, fd, 0, NULL, 0);
}

static void op_bind_connect(long long id, const struct jval *m, int connect)
{
    int fd, addrlen;
    struct ubuf addr;
    if (!need_int(m, "fd", &fd) || !need_int(m, "addrlen", &addrlen) || !read_buffer(m, "addr", &addr)) {
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    if (addr.p == NULL && is_lwip_socket(fd)) {
        /* lwip_bind and lwip_connect read name->sa_family before any check of the pointer. */
        reply_unsupported(json_get(m, "id"),
                          connect ? "a NULL address: lwip_connect dereferences it (it would crash)"
                                  : "a NULL address: lwip_bind dereferences it (it would crash)");
        return;
    }
    errno = 0;
    int r = connect ? lwip_connect(fd, (const struct sockaddr *)addr.p, (socklen_t)addrlen)
                    : lwip_bind(fd, (const struct sockaddr *)addr.p, (socklen_t)addrlen);
    int e = errno;
    settle();
    reply_result(id, r != 0, r, e, NULL, 0);
    ubuf_free(&addr);
}

static void op_setsockopt(long long id, const struct jval *m)
{
    int fd, level, name, optlen;
    struct ubuf value;
    if (!need_int(m, "fd", &fd) || !need_int(m, "level", &level) || !need_int(m, "name", &name) ||
        !need_int(m, "optlen", &optlen) || !read_buffer(m, "value", &value)) {
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    errno = 0;
    int r = lwip_setsockopt(fd, level, name, value.p, (socklen_t)optlen);
    int e = errno;
    settle();
    reply_result(id, r != 0, r, e, NULL, 0);
    ubuf_free(&value);
}

static void op_getsockopt(long long id, const struct jval *m)
{
    int fd, level, name, optlen;
    if (!need_int(m, "fd", &fd) || !need_int(m, "level", &level) || !need_int(m, "name", &name) ||
        !need_int(m, "optlen", &optlen)) {
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    /* An optlen-byte buffer (zeroed), with slack: lwIP writes sizeof(option) after checking optlen >= it, and
     * leaves *optlen as it was. A negative optlen is a huge socklen_t, as for the kernel; its buffer is 64 bytes. */
    size_t size = optlen >= 0 && (unsigned)optlen <= BUFFER_MAX ? (size_t)optlen : 64;
    unsigned char *buffer = calloc(size + BUFFER_SLACK, 1);
    if (buffer == NULL) abort();
    socklen_t length = (socklen_t)optlen;
    errno = 0;
    int r = lwip_getsockopt(fd, level, name, buffer, &length);
    int e = errno;
    settle();
    /* "ret" is the length the call left in optlen; "option" the bytes of the buffer it covers. */
    size_t shown = length < size ? length : size;
    reply_result(id, r != 0, (long long)length, e, buffer, shown);
    free(buffer);
}

static void op_nonblock(long long id, const struct jval *m)
{
    int fd;
    const struct jval *on = json_get(m, "on");
    if (!need_int(m, "fd", &fd)) {
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    if (on == NULL || on->type != J_BOOL) {
        reply_unsupported(json_get(m, "id"), "the request has no boolean 'on'");
        return;
    }
    if (is_file_fd(fd)) {
        /* A file is not lwIP's: the application's fcntl sets O_NONBLOCK on it. */
        reply_result(id, 0, 0, 0, NULL, 0);
        return;
    }
    errno = 0;
    int flags = lwip_fcntl(fd, F_GETFL, 0);
    int r = -1, e = errno;
    if (flags >= 0) {
        errno = 0;
        r = lwip_fcntl(fd, F_SETFL, on->boolean ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
        e = errno;
    }
    settle();
    reply_result(id, r != 0, r, e, NULL, 0);
}

static void op_sendto(long long id, const struct jval *m)
{
    int fd, flags, addrlen;
    struct ubuf data, addr;
    if (!need_int(m, "fd", &fd) || !need_flags(m, "flags", &flags) || !need_int(m, "addrlen", &addrlen)) {
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    if (!read_buffer(m, "data", &data)) {
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    if (!read_buffer(m, "addr", &addr)) {
        ubuf_free(&data);
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    if (data.p == NULL && data.length == 0 && json_get(m, "data") == NULL) {
        reply_unsupported(json_get(m, "id"), "sendto without 'data'");
        return;
    }
    errno = 0;
    ssize_t r = lwip_sendto(fd, data.p, data.length, flags, (const struct sockaddr *)addr.p, (socklen_t)addrlen);
    int e = errno;
    settle();
    reply_result(id, r < 0, r, e, NULL, 0);
    ubuf_free(&data);
    ubuf_free(&addr);
}

static void op_sendmsg(long long id, const struct jval *m)
{
    int fd, flags, namelen;
    long long controllen;
    struct ubuf name, control;
    const struct jval *iov = json_get(m, "iov");
    if (!need_int(m, "fd", &fd) || !need_flags(m, "flags", &flags) || !need_int(m, "namelen", &namelen) ||
        !need_integer(m, "controllen", LLONG_MIN, LLONG_MAX, &controllen)) {
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    if (iov == NULL || iov->type != J_ARRAY) {
        reply_unsupported(json_get(m, "id"), "the request has no 'iov' list");
        return;
    }
    if (!read_buffer(m, "name", &name)) {
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    if (!read_buffer(m, "control", &control)) {
        ubuf_free(&name);
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    struct ubuf *pieces = calloc(iov->length ? iov->length : 1, sizeof *pieces);
    struct iovec *vec = calloc(iov->length ? iov->length : 1, sizeof *vec);
    if (pieces == NULL || vec == NULL) abort();
    size_t count = 0;
    int ok = 1;
    for (; count < iov->length; count++) {
        if (!read_buffer_value(iov->items[count], "an iov entry", &pieces[count])) {
            ok = 0;
            break;
        }
        vec[count].iov_base = pieces[count].p;
        vec[count].iov_len = pieces[count].length;
    }
    if (ok) {
        /* glibc's struct msghdr: lwIP is built on the system's socket headers. An empty gather list is a NULL
         * msg_iov (what a C caller passes for none). Control messages go as they are: lwIP ignores them. */
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        msg.msg_name = name.p;
        msg.msg_namelen = (socklen_t)namelen;
        msg.msg_iov = iov->length ? vec : NULL;
        msg.msg_iovlen = iov->length;
        msg.msg_control = control.p;
        msg.msg_controllen = (size_t)controllen;
        msg.msg_flags = 0;
        errno = 0;
        ssize_t r = lwip_sendmsg(fd, &msg, flags);
        int e = errno;
        settle();
        reply_result(id, r < 0, r, e, NULL, 0);
    } else {
        reply_unsupported(json_get(m, "id"), why);
    }
    for (size_t i = 0; i < count; i++) ubuf_free(&pieces[i]);
    free(pieces);
    free(vec);
    ubuf_free(&name);
    ubuf_free(&control);
}

/* Version 2. lwip_shutdown is lwIP's own answer, whatever it is (README.md says what 2.1.3 answers for UDP). */
static void op_shutdown(long long id, const struct jval *m)
{
    int fd, how;
    if (!need_int(m, "fd", &fd) || !need_int(m, "how", &how)) {
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    errno = 0;
    int r = lwip_shutdown(fd, how);
    int e = errno;
    settle();
    reply_result(id, r != 0, r, e, NULL, 0);
}

static void op_close(long long id, const struct jval *m)
{
    int fd;
    if (!need_int(m, "fd", &fd)) {
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    if (is_file_fd(fd)) {
        /* A file is not lwIP's: the application's close closes it. */
        forget_file_fd(fd);
        reply_result(id, 0, 0, 0, NULL, 0);
        return;
    }
    errno = 0;
    int r = lwip_close(fd);
    int e = errno;
    settle();
    reply_result(id, r != 0, r, e, NULL, 0);
}

static void op_link(long long id, const struct jval *m)
{
    const struct jval *name = json_get(m, "name");
    const struct jval *mtu = json_get(m, "mtu");
    const struct jval *up = json_get(m, "up");
    if (name == NULL || name->type != J_STRING) {
        reply_unsupported(json_get(m, "id"), "the request has no link 'name'");
        return;
    }
    struct link *link = link_named(name->string);
    if (link == NULL) {
        snprintf(why, sizeof why, "no link named '%s' (lo is not an lwIP netif in this build: LWIP_HAVE_LOOPIF 0)",
                 name->string);
        reply_unsupported(json_get(m, "id"), why);
        return;
    }
    if (!is_null_or_missing(mtu) && (mtu->type != J_NUMBER || !mtu->is_integer || mtu->integer < 68 ||
                                     mtu->integer > 65535)) {
        reply_unsupported(json_get(m, "id"), "an MTU outside 68-65535 (lwIP's netif->mtu is 16 bits)");
        return;
    }
    if (!is_null_or_missing(up) && up->type != J_BOOL) {
        reply_unsupported(json_get(m, "id"), "'up' is not a boolean");
        return;
    }
    LOCK_TCPIP_CORE();
    if (!is_null_or_missing(mtu)) {
        link->mtu = (int)mtu->integer;
        link->netif.mtu = (u16_t)mtu->integer;
    }
    if (!is_null_or_missing(up)) {
        link->up = up->boolean;
        if (up->boolean)
            netif_set_up(&link->netif);
        else
            netif_set_down(&link->netif);
    }
    UNLOCK_TCPIP_CORE();
    settle();
    reply_result(id, 0, 0, 0, NULL, 0);
}

/* ------------------------------------------------------------------------------------------------------------ */

/* The version the hello agreed on: 2 (shutdown, sendmmsg) unless the suite offers only 1. */
static int protocol_version = 2;

static void handle_hello(const struct jval *m)
{
    const struct jval *versions = json_get(m, "versions");
    int have_1 = 0, have_2 = 0;
    for (size_t i = 0; versions != NULL && versions->type == J_ARRAY && i < versions->length; i++)
        if (versions->items[i]->type == J_NUMBER && versions->items[i]->is_integer) {
            if (versions->items[i]->integer == 1) have_1 = 1;
            if (versions->items[i]->integer == 2) have_2 = 1;
        }
    if (!have_1 && !have_2) logf_("the suite offers neither version 1 nor 2; answering with version 2 anyway");
    protocol_version = have_1 && !have_2 ? 1 : 2;
    struct sbuf b;
    sb_init(&b);
    sb_puts(&b, protocol_version == 1 ? "{\"op\":\"hello\",\"version\":1,\"name\":" : "{\"op\":\"hello\",\"version\":2,\"name\":");
    sb_json_string(&b, ADAPTER_NAME);
    /* Of version 2's operations lwIP performs shutdown; it has no sendmmsg (not listed: its cases are not
     * applicable here, and a request that comes anyway is answered unsupported). */
    sb_puts(&b, protocol_version == 1 ? ",\"features\":[\"host-change\",\"multiple-links\"]}"
                                      : ",\"features\":[\"host-change\",\"multiple-links\",\"shutdown\"]}");
    send_line(&b);
    sb_free(&b);
}

/* 0 to go on, 1 to stop. */
static int handle_line(const char *line, size_t length)
{
    char err[200];
    struct jval *m = json_parse(line, length, err, sizeof err);
    if (m == NULL || m->type != J_OBJECT) {
        logf_("not a JSON object (%s): %.200s", m == NULL ? err : "another JSON value", line);
        json_free(m);
        reply_unsupported(NULL, "the request is not a JSON object");
        return 0;
    }
    const struct jval *op = json_get(m, "op");
    const struct jval *id = json_get(m, "id");
    if (op == NULL || op->type != J_STRING) {
        reply_unsupported(id, "the request has no 'op'");
        json_free(m);
        return 0;
    }
    const char *o = op->string;
    if (strcmp(o, "bye") == 0) {
        json_free(m);
        return 1;
    }
    if (strcmp(o, "hello") == 0) {
        handle_hello(m);
    } else if (strcmp(o, "host") == 0) {
        handle_host(m);
    } else if (id == NULL || id->type != J_NUMBER || !id->is_integer) {
        reply_unsupported(NULL, "an operation without an integer 'id'");
    } else if (host_state != 1) {
        reply_unsupported(id, host_state == 0 ? "no host yet" : "the host was not supported");
    } else {
        long long n = id->integer;
        discard_captures(); /* anything spontaneous between operations is nobody's (none is expected) */
        if (strcmp(o, "socket") == 0) op_socket(n, m);
        else if (strcmp(o, "open") == 0) op_open(n);
        else if (strcmp(o, "bind") == 0) op_bind_connect(n, m, 0);
        else if (strcmp(o, "connect") == 0) op_bind_connect(n, m, 1);
        else if (strcmp(o, "setsockopt") == 0) op_setsockopt(n, m);
        else if (strcmp(o, "getsockopt") == 0) op_getsockopt(n, m);
        else if (strcmp(o, "nonblock") == 0) op_nonblock(n, m);
        else if (strcmp(o, "sendto") == 0) op_sendto(n, m);
        else if (strcmp(o, "sendmsg") == 0) op_sendmsg(n, m);
        else if (strcmp(o, "close") == 0) op_close(n, m);
        else if (protocol_version >= 2 && strcmp(o, "shutdown") == 0) op_shutdown(n, m);
        else if (protocol_version >= 2 && strcmp(o, "sendmmsg") == 0)
            reply_unsupported(id, "lwIP 2.1.3 has no sendmmsg (its socket API ends at lwip_sendmsg)");
        else if (strcmp(o, "link") == 0) op_link(n, m);
        else {
            snprintf(why, sizeof why, "unknown op '%.100s'", o);
            reply_unsupported(id, why);
        }
    }
    json_free(m);
    return 0;
}

int main(void)
{
    /* The protocol owns the original stdout; anything lwIP prints (LWIP_PLATFORM_DIAG, assertions use printf)
     * goes to stderr instead. */
    int out = dup(STDOUT_FILENO);
    if (out < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        perror("udpconf-lwip: dup");
        return 2;
    }
    proto_out = fdopen(out, "w");
    if (proto_out == NULL) {
        perror("udpconf-lwip: fdopen");
        return 2;
    }

    char *line = NULL;
    size_t capacity = 0;
    ssize_t n;
    while ((n = getline(&line, &capacity, stdin)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        size_t start = 0;
        while (start < (size_t)n && (line[start] == ' ' || line[start] == '\t')) start++;
        if (start == (size_t)n) continue; /* a blank line is no request */
        if (handle_line(line + start, (size_t)n - start)) break;
    }
    free(line);
    fflush(proto_out);
    fflush(stderr);
    /* The tcpip thread runs forever: leave without tearing lwIP down. */
    _exit(0);
}
