/*
 * Listening sockets. Accept errors are logged and the listener keeps
 * going: one failing accept (EMFILE, say) must not stop a scenario.
 */
#include "listener.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "entry.h"
#include "log.h"

static void on_connection(uv_stream_t *stream, int status)
{
    struct listener *l = stream->data;
    if (status < 0) {
        log_info("%s: accept failed: %s", l->entry->scenario->name,
                 uv_strerror(status));
        return;
    }
    conn_accept(l->pool, l->entry, stream, l->plain);
}

int listener_resolve(const char *addr, int port, struct sockaddr_storage *ss)
{
    if (uv_ip4_addr(addr, port, (struct sockaddr_in *)ss) == 0)
        return 0;
    return uv_ip6_addr(addr, port, (struct sockaddr_in6 *)ss);
}

static int set_reuseport(uv_tcp_t *tcp)
{
    uv_os_fd_t fd;
    int one = 1;
    int rc = uv_fileno((uv_handle_t *)tcp, &fd);
    if (rc == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
        rc = uv_translate_sys_error(errno);
    return rc;
}

const char *listener_hint(int err)
{
    switch (err) {
    case UV_EADDRINUSE:
        return " (another program, or another shakedown, holds it)";
    case UV_EACCES:
        return " (ports below 1024 need privileges)";
    case UV_EADDRNOTAVAIL:
        return " (not an address of this host: see --bind)";
    default:
        return "";
    }
}

/* Whether addr:port is free to bind without SO_REUSEPORT. Sockets that
 * all set SO_REUSEPORT share a port silently, so a second shakedown with
 * --workers would split the first one's connections instead of failing:
 * the first shared socket binds a plain one, as libuv would (with
 * SO_REUSEADDR), and lets it go. */
static int probe_free(const struct sockaddr_storage *ss)
{
    int one = 1, rc = 0;
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return uv_translate_sys_error(errno);
    socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (const struct sockaddr *)ss, len) != 0)
        rc = uv_translate_sys_error(errno);
    close(fd);
    return rc;
}

static void on_closed(uv_handle_t *h)
{
    struct listener *l = h->data;
    entry_unref(l->entry);
    free(l);
}

/* SO_REUSEPORT must be set before bind, and libuv 1.44 has no flag for
 * it: a shared socket is created now, to set it by hand. When that fails
 * the handle is initialised anyway, so that the caller can close it. */
static int open_socket(uv_loop_t *loop, uv_tcp_t *tcp, int family,
                       enum listener_share share)
{
    if (share == LISTENER_ALONE)
        return uv_tcp_init(loop, tcp);
    int rc = uv_tcp_init_ex(loop, tcp, (unsigned)family);
    if (rc != 0)
        uv_tcp_init(loop, tcp); /* without a socket: cannot fail */
    return rc;
}

static int port_of(const struct sockaddr_storage *ss)
{
    return ntohs(ss->ss_family == AF_INET6
                     ? ((const struct sockaddr_in6 *)ss)->sin6_port
                     : ((const struct sockaddr_in *)ss)->sin_port);
}

static int bound_port_of(const uv_tcp_t *tcp)
{
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    if (uv_tcp_getsockname(tcp, (struct sockaddr *)&bound, &len) != 0)
        return 0;
    return port_of(&bound);
}

int listener_bind(uv_loop_t *loop, uv_tcp_t *tcp,
                  const struct sockaddr_storage *ss, enum listener_share share,
                  uv_connection_cb on_new, int *bound_port)
{
    int rc = open_socket(loop, tcp, ss->ss_family, share);
    if (rc == 0 && share == LISTENER_SHARE_FIRST && port_of(ss) != 0)
        rc = probe_free(ss);
    if (rc == 0 && share != LISTENER_ALONE)
        rc = set_reuseport(tcp);
    if (rc == 0)
        rc = uv_tcp_bind(tcp, (const struct sockaddr *)ss, 0);
    /* libuv reports a busy port here rather than at bind. */
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)tcp, 511, on_new);
    if (rc == 0)
        *bound_port = bound_port_of(tcp);
    return rc;
}

struct listener *listener_new(uv_loop_t *loop, struct conn_pool *pool,
                              struct entry *entry, const char *addr,
                              int port, enum listener_share share,
                              struct diag *d)
{
    const struct scenario *s = entry->scenario;
    struct sockaddr_storage ss;
    if (listener_resolve(addr, port, &ss) != 0) {
        diag_set(d, NULL, 0, "--bind %s: not an IPv4 or IPv6 address", addr);
        return NULL;
    }
    struct listener *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        diag_set(d, s->file, 0, "out of memory");
        return NULL;
    }
    l->pool = pool;
    l->entry = entry;
    entry_ref(entry); /* given back when the socket has closed */
    int rc = listener_bind(loop, &l->tcp, &ss, share, on_connection, &l->port);
    l->tcp.data = l;
    if (rc != 0) {
        /* l is freed once the loop has run the close. */
        uv_close((uv_handle_t *)&l->tcp, on_closed);
        diag_set(d, s->file, 0, "scenario \"%s\" cannot listen on %s port %d: "
                 "%s%s; move every port with --port-offset N, or use "
                 "--ephemeral-ports", s->name, addr, port, uv_strerror(rc),
                 listener_hint(rc));
        return NULL;
    }
    return l;
}

void listener_close(struct listener *l)
{
    if (!uv_is_closing((uv_handle_t *)&l->tcp))
        uv_close((uv_handle_t *)&l->tcp, on_closed);
}

void listener_set_entry(struct listener *l, struct entry *e)
{
    if (l->entry == e)
        return;
    entry_ref(e);
    entry_unref(l->entry);
    l->entry = e;
}
