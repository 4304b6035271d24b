/*
 * epoll-server.c - the practical limit of this machine for the benchmarks (bench/run.py):
 * a single-threaded, level-triggered epoll HTTP/1.1 server that answers every request
 * with one fixed response. It does no parsing beyond finding the end of each request
 * head ("\r\n\r\n"), so it handles pipelining (one answer per request head in the
 * buffer) and "Connection: close" (closes after answering a request that asks for it),
 * and nothing else: no bodies, no methods, no paths.
 *
 *   cc -O2 -o epoll-server bench/epoll-server.c
 *   epoll-server PORT [BODY]     listens on 127.0.0.1:PORT; BODY defaults to the body
 *                                of extensions/hello/hello.c
 */

#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSIZE 16384
#define MAXEVENTS 256

struct conn {
    int fd;
    size_t used;           /* bytes of request data in buf */
    char buf[BUFSIZE];
};

static char response[1024];
static size_t response_len;

static void close_conn(int ep, struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

/* Answers every complete request head in c->buf. Returns 0 to keep the connection,
 * -1 to close it. The answers to one read go out in as few writes as fit a 16 KiB
 * buffer (pipelining); a write the socket does not take whole closes the connection
 * (never happens with responses this small and a client that reads them). */
static int serve(struct conn *c)
{
    char out[BUFSIZE];
    int close_after = 0, more = 1;
    while (more && !close_after) {
        size_t out_len = 0, start = 0;
        more = 0;
        for (;;) {
            char *end = memmem(c->buf + start, c->used - start, "\r\n\r\n", 4);
            if (end == NULL)
                break;
            if (out_len + response_len > sizeof out) {
                more = 1;  /* answer the rest after this write */
                break;
            }
            size_t head_len = (size_t)(end - (c->buf + start)) + 4;
            /* "Connection: close" anywhere in the head (case-insensitive is enough here). */
            char saved = c->buf[start + head_len - 1];
            c->buf[start + head_len - 1] = '\0';
            if (strcasestr(c->buf + start, "\nconnection: close") != NULL)
                close_after = 1;
            c->buf[start + head_len - 1] = saved;
            memcpy(out + out_len, response, response_len);
            out_len += response_len;
            start += head_len;
            if (close_after)
                break;
        }
        memmove(c->buf, c->buf + start, c->used - start);
        c->used -= start;
        if (out_len > 0 && write(c->fd, out, out_len) != (ssize_t)out_len)
            return -1;
    }
    if (close_after || c->used == sizeof c->buf)
        return -1;  /* asked to close, or a request head larger than the buffer */
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [BODY]\n", argv[0]);
        return 2;
    }
    const char *body = argc > 2 ? argv[2] : "Hello from an ISAPI extension on isapid\n";
    response_len = (size_t)snprintf(response, sizeof response,
                                    "HTTP/1.1 200 OK\r\nServer: epoll-server\r\n"
                                    "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
                                    strlen(body), body);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 4096) != 0) {
        perror("bind/listen");
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);

    struct epoll_event events[MAXEVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAXEVENTS, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c == NULL) {  /* the listener: accept everything pending */
                for (;;) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0)
                        break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *nc = malloc(sizeof *nc);
                    if (nc == NULL) {
                        close(fd);
                        continue;
                    }
                    nc->fd = fd;
                    nc->used = 0;
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = nc};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            ssize_t got = read(c->fd, c->buf + c->used, sizeof c->buf - c->used);
            if (got <= 0) {
                if (got < 0 && (errno == EAGAIN || errno == EINTR))
                    continue;
                close_conn(ep, c);
                continue;
            }
            c->used += (size_t)got;
            if (serve(c) != 0)
                close_conn(ep, c);
        }
    }
}
