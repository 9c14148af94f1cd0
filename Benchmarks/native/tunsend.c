/* tunsend: the baseline of the udpconf benchmark (BENCHMARKS.md). As root it enters a network namespace of its
 * own (unshare(CLONE_NEWNET)), creates a TUN device tun0 with 192.0.2.1/24 and a default route via 192.0.2.254,
 * then N times sends one datagram of SIZE bytes to 198.51.100.7:9 and reads that packet back from the TUN
 * descriptor. It prints the rate in datagrams per second. Nothing outlives the process: the namespace and its
 * device go when the last descriptor closes. Usage: tunsend [N] [SIZE] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static void sysctl(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0) return; /* IPv6 may be absent */
    if (write(fd, value, strlen(value)) < 0) { /* optional */ }
    close(fd);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    int size = argc > 2 ? atoi(argv[2]) : 100;
    if (unshare(CLONE_NEWNET) != 0) die("unshare(CLONE_NEWNET)");
    sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
    sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");

    int tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tun < 0) die("open /dev/net/tun");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "tun0");
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    if (ioctl(tun, TUNSETIFF, &ifr) != 0) die("TUNSETIFF");
    /* The children of system() inherit this process's namespace. */
    if (system("ip -batch - <<'END'\n"
               "link set lo up\n"
               "link set tun0 mtu 1500 up\n"
               "addr add 192.0.2.1/24 dev tun0\n"
               "route add default via 192.0.2.254 dev tun0\n"
               "END") != 0)
        die("ip");

    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) die("socket");
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
    inet_pton(AF_INET, "198.51.100.7", &to.sin_addr);
    char *payload = calloc(1, size), buffer[65536];

    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < n; i++)
    {
        if (sendto(s, payload, size, 0, (struct sockaddr *)&to, sizeof to) != size) die("sendto");
        for (;;) /* read up to this datagram: skip anything else the kernel sends */
        {
            ssize_t r = read(tun, buffer, sizeof buffer);
            if (r < 0) die("read tun");
            if (r >= 28 && (buffer[0] >> 4) == 4 && buffer[9] == 17 && memcmp(buffer + 16, &to.sin_addr, 4) == 0) break;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
    printf("%ld datagrams in %.6f s: %.0f datagrams/s\n", n, seconds, n / seconds);
    close(s);
    close(tun);
    free(payload);
    return 0;
}
