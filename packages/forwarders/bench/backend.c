// A minimal HTTP/1.1 backend for bench:http: one thread, epoll, non-blocking sockets. Each connection's
// request is read up to its blank line and answered "200 OK" with the server's name as the body and
// `Connection: close`; then the server closes (so requests = connections, as with wrk -H 'Connection: close').
// It exists so that the backends, which every side of the benchmark shares, cost as little CPU as possible
// on a 2-core machine and the balancers' own differences show. Usage: backend <port> <name>. Prints
// "listening <port>" once ready; exits on SIGTERM. Binds every address of its (lab) namespace only.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define BUF 2048

struct conn {
  int fd;
  int got;
  char buf[BUF];
};

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: backend <port> <name>\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  char resp[512];
  const int body = (int)strlen(argv[2]) + 1;
  const int rlen = snprintf(resp, sizeof resp,
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                            "Connection: close\r\n\r\n%s\n",
                            body, argv[2]);
  const int ls = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  const int zero = 0;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons((unsigned short)atoi(argv[1]));
  a.sin6_addr = in6addr_any;
  if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 4096) < 0) {
    perror("bind/listen");
    return 1;
  }
  const int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  printf("listening %s\n", argv[1]);
  fflush(stdout);
  struct epoll_event evs[MAX_EVENTS];
  for (;;) {
    const int n = epoll_wait(ep, evs, MAX_EVENTS, -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (c == NULL) {
        for (;;) {
          const int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
          if (fd < 0) break;
          struct conn *nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          struct epoll_event e = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        }
        continue;
      }
      const ssize_t r = read(c->fd, c->buf + c->got, BUF - 1 - c->got);
      if (r > 0) {
        c->got += (int)r;
        c->buf[c->got] = 0;
        if (strstr(c->buf, "\r\n\r\n") == NULL && c->got < BUF - 1) continue;
        (void)!write(c->fd, resp, (size_t)rlen);
      } else if (r < 0 && errno == EAGAIN) {
        continue;
      }
      close(c->fd);
      free(c);
    }
  }
}
