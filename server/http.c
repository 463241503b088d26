/*
 * Request-head recognition (RFC 9112 section 2.1) and the scenario page.
 * The request line is interpreted, and of the headers only what decides
 * whether the connection persists (Connection, a request body); the
 * scenario ports always close after one response, the dashboard keeps
 * connections alive.
 */
#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

static const uint8_t *find_blank_line(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (p[i] == '\n' && p[i + 1] == '\n')
            return p + i + 2;
        if (i + 3 < len && memcmp(p + i, "\r\n\r\n", 4) == 0)
            return p + i + 4;
    }
    return NULL;
}

/* Whether the comma-separated list [v, end) holds token (any case). */
static bool has_token(const char *v, const char *end, const char *token)
{
    size_t n = strlen(token);
    while (v < end) {
        while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
            v++;
        const char *t = v;
        while (v < end && *v != ',')
            v++;
        const char *e = v;
        while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if ((size_t)(e - t) == n && strncasecmp(t, token, n) == 0)
            return true;
    }
    return false;
}

/* The header fields after the request line: [p, end) holds whole lines. */
static void read_fields(const char *p, const char *end,
                        struct http_request *req)
{
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon != NULL) {
            size_t name = (size_t)(colon - p);
            const char *v = colon + 1, *ve = eol;
            if (ve > v && ve[-1] == '\r')
                ve--;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            if (name == 10 && strncasecmp(p, "Connection", 10) == 0) {
                req->close |= has_token(v, ve, "close");
                req->keep_alive |= has_token(v, ve, "keep-alive");
            } else if (name == 17 &&
                       strncasecmp(p, "Transfer-Encoding", 17) == 0) {
                req->body = true;
            } else if (name == 14 &&
                       strncasecmp(p, "Content-Length", 14) == 0) {
                while (v < ve && *v == '0')
                    v++;
                req->body |= v < ve; /* anything but zeros */
            }
        }
        p = eol + 1;
    }
}

bool http_persistent(const struct http_request *req)
{
    if (req->close || req->body)
        return false;
    return req->minor >= 1 || req->keep_alive;
}

enum http_status http_parse(const uint8_t *data, size_t len,
                            struct http_request *req)
{
    memset(req, 0, sizeof(*req));
    const uint8_t *end = find_blank_line(data, len);
    if (end == NULL)
        return len > HTTP_MAX_HEAD ? HTTP_TOO_LARGE : HTTP_NEED_MORE;
    req->head_len = (size_t)(end - data);
    /* The same limit whether the head arrived in one read or many. */
    if (req->head_len > HTTP_MAX_HEAD)
        return HTTP_TOO_LARGE;
    const uint8_t *eol = memchr(data, '\n', req->head_len);
    char line[512];
    size_t n = (size_t)(eol - data);
    if (n >= sizeof(line))
        return HTTP_BAD;
    memcpy(line, data, n);
    line[n] = '\0';
    if (n > 0 && line[n - 1] == '\r')
        line[n - 1] = '\0';
    char version[16];
    if (sscanf(line, "%15s %255s %15s", req->method, req->target, version) !=
            3 ||
        strncmp(version, "HTTP/1.", 7) != 0 ||
        !isdigit((unsigned char)version[7]) || version[8] != '\0')
        return HTTP_BAD;
    req->minor = version[7] - '0';
    read_fields((const char *)eol + 1, (const char *)end, req);
    return HTTP_COMPLETE;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    case 495: return "SSL Certificate Error";
    case 496: return "SSL Certificate Required";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

static int append(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

size_t http_page_text(const struct app_page *page, char *body, size_t size)
{
    const struct scenario *s = page->scenario;
    int n = snprintf(body, size,
                     "shakedown scenario: %s\n"
                     "%s\n\n"
                     "%s%s%s"
                     "Negotiated: %s, %s\n"
                     "Client certificate: %s\n\n"
                     "%s\n",
                     s->name, s->title, page->note ? "Refused: " : "",
                     page->note ? page->note : "", page->note ? "\n" : "",
                     page->version, page->cipher,
                     page->client_cert ? page->client_cert : "none",
                     s->explain);
    if (n < 0 || (size_t)n >= size)
        return strlen(body);
    return (size_t)n;
}

/* Appends text[0, len) to out with {port} and {plain_port} filled in. */
static int expand(struct buf *out, const char *text, size_t len, int port,
                  int plain_port)
{
    static const struct {
        const char *word;
        size_t len;
    } words[] = {{"{port}", 6}, {"{plain_port}", 12}};
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *brace = memchr(p, '{', (size_t)(end - p));
        if (brace == NULL)
            return buf_append(out, p, (size_t)(end - p));
        if (buf_append(out, p, (size_t)(brace - p)) != 0)
            return -1;
        p = brace;
        int which = -1;
        for (int i = 0; i < 2; i++)
            if ((size_t)(end - p) >= words[i].len &&
                memcmp(p, words[i].word, words[i].len) == 0)
                which = i;
        int value = which == 0 ? port : plain_port;
        if (which < 0 || value < 0) {
            if (buf_append(out, p, 1) != 0)
                return -1;
            p++;
            continue;
        }
        char num[16];
        int n = snprintf(num, sizeof(num), "%d", value);
        if (buf_append(out, num, (size_t)n) != 0)
            return -1;
        p += words[which].len;
    }
    return 0;
}

int http_answer(const struct scenario *s, int port, int plain_port,
                struct buf *headers, struct buf *body)
{
    const char *loc = s->http_location;
    if (loc[0] && (buf_append(headers, "Location: ", 10) != 0 ||
                   expand(headers, loc, strlen(loc), port, plain_port) != 0 ||
                   buf_append(headers, "\r\n", 2) != 0))
        return -1;
    for (int i = 0; i < s->http_headers.n; i++) {
        const char *h = s->http_headers.line[i];
        if (expand(headers, h, strlen(h), port, plain_port) != 0 ||
            buf_append(headers, "\r\n", 2) != 0)
            return -1;
    }
    if (s->http_body.file[0] &&
        expand(body, s->http_body.data, s->http_body.len, port,
               plain_port) != 0)
        return -1;
    return 0;
}

size_t http_body(const struct app_page *page, char *out, size_t size,
                 const char **content_type)
{
    if (page->body == NULL) {
        *content_type = "text/plain; charset=utf-8";
        return http_page_text(page, out, size);
    }
    *content_type = page->content_type;
    size_t n = page->body_len < size ? page->body_len : size - 1;
    memcpy(out, page->body, n);
    out[n] = '\0';
    return n;
}

int http_respond(struct buf *out, int status, const char *reason,
                 const struct app_page *page)
{
    char body[SCENARIO_HTTP_BODY_MAX + 1];
    const char *type;
    const struct scenario *s = page->scenario;
    size_t n = http_body(page, body, sizeof(body), &type);
    char head[768], length[48] = "";
    if (!page->no_length)
        snprintf(length, sizeof(length), "Content-Length: %zu\r\n", n);
    snprintf(head, sizeof(head),
             "HTTP/1.1 %d %s\r\n"
             "Content-Type: %s\r\n"
             "%s"
             "Connection: close\r\n"
             "Access-Control-Allow-Origin: *\r\n"
             "X-Shakedown-Scenario: %s\r\n",
             status, reason, type, length, s->name);
    if (append(out, head) != 0 ||
        (page->headers != NULL && append(out, page->headers) != 0) ||
        append(out, "\r\n") != 0 || buf_append(out, body, n) != 0)
        return -1;
    return 0;
}

/* ---- the application layer ------------------------------------------- */

/* The request head as it arrives, in as many reads as it takes. */
struct http_app_state {
    struct buf head;
};

static enum app_result app_input(void *state, const uint8_t *data,
                                 size_t len, struct app_request *out,
                                 struct buf *reply)
{
    struct http_app_state *st = state;
    (void)reply;
    struct http_request req;
    if (len > 0 && buf_append(&st->head, data, len) != 0)
        return APP_ERROR;
    switch (http_parse(buf_head(&st->head), buf_pending(&st->head), &req)) {
    case HTTP_NEED_MORE:
        return APP_MORE;
    case HTTP_BAD:
    case HTTP_TOO_LARGE:
        return APP_BAD;
    case HTTP_COMPLETE:
        break;
    }
    snprintf(out->method, sizeof(out->method), "%s", req.method);
    snprintf(out->target, sizeof(out->target), "%s", req.target);
    out->protocol = "HTTP/1.1";
    out->grpc = false;
    return APP_REQUEST;
}

static int app_respond(void *state, int status, const struct app_page *page,
                       struct buf *out)
{
    (void)state;
    return http_respond(out, status, http_reason(status), page);
}

static void app_clear(void *state)
{
    struct http_app_state *st = state;
    buf_free(&st->head);
}

const struct app_ops http_app = {
    .name = "http/1.1",
    .size = sizeof(struct http_app_state),
    .input = app_input,
    .respond = app_respond,
    .clear = app_clear,
};
