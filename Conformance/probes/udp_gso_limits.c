#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <arpa/inet.h>
#include <unistd.h>
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
static char data[70000];
static int send_gso(int s, int len, int gso) {
  struct sockaddr_in to; memset(&to,0,sizeof to); to.sin_family=AF_INET; to.sin_port=htons(9); inet_pton(AF_INET,"127.0.0.1",&to.sin_addr);
  struct iovec iov={data,len};
  union { char b[CMSG_SPACE(2)]; struct cmsghdr a; } c; memset(&c,0,sizeof c);
  struct msghdr m; memset(&m,0,sizeof m); m.msg_name=&to; m.msg_namelen=sizeof to; m.msg_iov=&iov; m.msg_iovlen=1;
  if (gso >= 0) { m.msg_control=c.b; m.msg_controllen=sizeof c.b; struct cmsghdr *h=CMSG_FIRSTHDR(&m); h->cmsg_level=IPPROTO_UDP; h->cmsg_type=UDP_SEGMENT; h->cmsg_len=CMSG_LEN(2); unsigned short g=gso; memcpy(CMSG_DATA(h),&g,2); }
  return sendmsg(s,&m,0)<0?errno:0;
}
int main(int argc, char **argv){
  struct utsname u; uname(&u); printf("PROBE release %s\n", u.release);
  int s=socket(AF_INET,SOCK_DGRAM,0);
  struct ifreq ifr; memset(&ifr,0,sizeof ifr); strcpy(ifr.ifr_name,"lo");
  ioctl(s,SIOCGIFFLAGS,&ifr); ifr.ifr_flags|=IFF_UP; printf("PROBE lo up %d\n", ioctl(s,SIOCSIFFLAGS,&ifr)?errno:0);
  ifr.ifr_mtu=1500; printf("PROBE lo mtu %d\n", ioctl(s,SIOCSIFMTU,&ifr)?errno:0);
  int cases[][2]={{1472,1473},{1473,1473},{3000,1473},{100,1500},{100,65535},{1280,10},{1281,10},{640,10},{641,10},{65507,1472},{65508,1472},{3000,1000},{0,100}};
  for (unsigned i=0;i<sizeof cases/sizeof cases[0];i++) printf("PROBE send %d gso %d -> %d\n",cases[i][0],cases[i][1],send_gso(s,cases[i][0],cases[i][1]));
  int one=1; setsockopt(s,SOL_SOCKET,SO_NO_CHECK,&one,sizeof one);
  printf("PROBE nocheck send 3000 gso 1000 -> %d\n", send_gso(s,3000,1000));
  printf("PROBE nocheck send 300 gso 1000 -> %d\n", send_gso(s,300,1000));
  int g=500; printf("PROBE opt 500 -> %d\n", setsockopt(s,IPPROTO_UDP,UDP_SEGMENT,&g,sizeof g)?errno:0);
  g=70000; printf("PROBE opt 70000 -> %d\n", setsockopt(s,IPPROTO_UDP,UDP_SEGMENT,&g,sizeof g)?errno:0);
  fflush(stdout); sync();
  if (argc < 2) reboot(RB_POWER_OFF);
  return 0;}
