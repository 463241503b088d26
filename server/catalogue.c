/*
 * Catalogue output. Client command lines come from one table, so the
 * README, --list --json and the integration tests all run the very same
 * command for an expectation.
 */
#include "catalogue.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "buf.h"
#include "grade.h"
#include "hello.h"
#include "json.h"
#include "ports.h"
#include "suites.h"
#include "tlsio.h"

/* Placeholders: {host}, {port}, {args}, {stdin} (an HTTP request or
 * nothing), {wolfclient} (the client built beside this server), and
 * fragments that depend on whether host is a name or an IP literal (no
 * SNI is sent for an address, RFC 6066 section 3). Commands run from the
 * project's top directory, where certs/ca.pem is. Debian's clients are
 * named by absolute path, never found on PATH: the catalogue is verified
 * with those packages, and a client generation's root has its own at the
 * same paths.
 *
 * versions: what each generation's package was verified with; the
 * catalogue test checks that the client it runs begins with this. */
#define ONLY(p) (1u << (p))
#define HTTPS ONLY(PROTOCOL_HTTPS)
/* Every protocol with a dialogue or implicit TLS: all but HTTPS. */
#define DIALOGUES (((1u << PROTOCOL_COUNT) - 1) & ~HTTPS)
#define STARTTLS_PROTOCOLS                                                   \
    (ONLY(PROTOCOL_SMTP) | ONLY(PROTOCOL_IMAP) | ONLY(PROTOCOL_POP3) |      \
     ONLY(PROTOCOL_FTP) | ONLY(PROTOCOL_POSTGRES) | ONLY(PROTOCOL_MYSQL))
/* A mail client sends one short message: tests/clients/mail.txt. curl
 * prints nothing when it succeeds over SMTP, POP3 (no messages) and FTP:
 * -v shows the server's answers. Over
 * FTP, -I on the top directory logs in and asks PWD, no data
 * connection. */
#define CURL_MAIL " --mail-from sender@example.com --mail-rcpt " \
                  "rcpt@example.com -T tests/clients/mail.txt -v"
#define CURL_LOGIN " -u shakedown:secret"

static const struct {
    const char *client;
    const char *template;
    const char *versions[SCENARIO_GEN_COUNT];
    unsigned protocols; /* bit per enum protocol_id */
} commands[] = {
    {"curl", "/usr/bin/curl -sS --cacert certs/ca.pem{resolve}{args} "
             "https://{url_host}:{port}/",
     {"curl 7.88", "curl 8.14"}, HTTPS},
    {"openssl", "/usr/bin/openssl s_client -connect 127.0.0.1:{port}"
                "{openssl_sni} {openssl_verify} -CAfile certs/ca.pem "
                "-verify_return_error -brief{args} {stdin}",
     {"OpenSSL 3.0", "OpenSSL 3.5"}, HTTPS},
    {"python", "/usr/bin/python3 tests/clients/pyclient.py --ca certs/ca.pem "
               "--host {host} --port {port}{args}",
     {"Python 3.11", "Python 3.13"}, HTTPS},
    {"gnutls", "/usr/bin/gnutls-cli --x509cafile certs/ca.pem --port {port}"
               "{gnutls_sni} --verify-hostname {host}{args} 127.0.0.1 "
               "{stdin}",
     {"GnuTLS 3.7", "GnuTLS 3.8"}, HTTPS},
    {"grpc", "/usr/bin/python3 tests/clients/grpcprobe.py --ca certs/ca.pem "
             "--host {host} --port {port}{args}",
     {"grpcio 1.51", "grpcio 1.51"}, HTTPS},
    /* nghttp has no CA option; OpenSSL reads SSL_CERT_FILE. */
    {"nghttp", "env SSL_CERT_FILE=certs/ca.pem /usr/bin/nghttp -v{args} "
               "https://{url_host}:{port}/",
     {"nghttp2 1.52", "nghttp2 1.64"}, HTTPS},
    {"wolfssl", "{wolfclient} --ca certs/ca.pem --host {host} "
                "--port {port}{args}",
     {"wolfSSL (this build)"}, HTTPS},
    {"chromium", "tests/clients/chromium-probe https://{url_host}:{port}/{args}",
     {"Chromium (Debian 12)"}, HTTPS},
    /* Under --protocol: curl with TLS required (--ssl-reqd: without it,
     * curl goes on in plaintext when STARTTLS is not offered). */
    {"curl", "/usr/bin/curl -sS --cacert certs/ca.pem --ssl-reqd{resolve}{args} "
             "smtp://{url_host}:{port}/" CURL_MAIL,
     {"curl 7.88", "curl 8.14"}, ONLY(PROTOCOL_SMTP)},
    {"curl", "/usr/bin/curl -sS --cacert certs/ca.pem{resolve}{args} "
             "smtps://{url_host}:{port}/" CURL_MAIL,
     {"curl 7.88", "curl 8.14"}, ONLY(PROTOCOL_SMTPS)},
    {"curl", "/usr/bin/curl -sS --cacert certs/ca.pem --ssl-reqd{resolve}{args} "
             "imap://{url_host}:{port}/" CURL_LOGIN,
     {"curl 7.88", "curl 8.14"}, ONLY(PROTOCOL_IMAP)},
    {"curl", "/usr/bin/curl -sS --cacert certs/ca.pem{resolve}{args} "
             "imaps://{url_host}:{port}/" CURL_LOGIN,
     {"curl 7.88", "curl 8.14"}, ONLY(PROTOCOL_IMAPS)},
    {"curl", "/usr/bin/curl -sS --cacert certs/ca.pem --ssl-reqd{resolve}{args} "
             "pop3://{url_host}:{port}/ -v" CURL_LOGIN,
     {"curl 7.88", "curl 8.14"}, ONLY(PROTOCOL_POP3)},
    {"curl", "/usr/bin/curl -sS --cacert certs/ca.pem{resolve}{args} "
             "pop3s://{url_host}:{port}/ -v" CURL_LOGIN,
     {"curl 7.88", "curl 8.14"}, ONLY(PROTOCOL_POP3S)},
    {"curl", "/usr/bin/curl -sS --cacert certs/ca.pem --ssl-reqd{resolve}{args} "
             "ftp://{url_host}:{port}/ -I -v" CURL_LOGIN,
     {"curl 7.88", "curl 8.14"}, ONLY(PROTOCOL_FTP)},
    {"curl", "/usr/bin/curl -sS --cacert certs/ca.pem{resolve}{args} "
             "ftps://{url_host}:{port}/ -I -v" CURL_LOGIN,
     {"curl 7.88", "curl 8.14"}, ONLY(PROTOCOL_FTPS)},
    {"openssl", "/usr/bin/openssl s_client -connect 127.0.0.1:{port}"
                "{openssl_starttls}{openssl_sni} {openssl_verify} -CAfile "
                "certs/ca.pem -verify_return_error -brief{args} {stdin}",
     {"OpenSSL 3.0", "OpenSSL 3.5"}, DIALOGUES},
    /* GnuTLS has no MySQL dialogue. */
    {"gnutls", "/usr/bin/gnutls-cli --x509cafile certs/ca.pem --port {port}"
               "{gnutls_starttls}{gnutls_sni} --verify-hostname {host}{args} "
               "127.0.0.1 {stdin}",
     {"GnuTLS 3.7", "GnuTLS 3.8"}, DIALOGUES & ~ONLY(PROTOCOL_MYSQL)},
    {"python", "/usr/bin/python3 tests/clients/pydialogue.py --protocol "
               "{protocol} --ca certs/ca.pem --host {host} --port {port}{args}",
     {"Python 3.11", "Python 3.13"},
     DIALOGUES & ~ONLY(PROTOCOL_POSTGRES) & ~ONLY(PROTOCOL_MYSQL)},
    /* hostaddr: the server listens on 127.0.0.1, host is what is
     * verified. */
    {"psql", "env PGCONNECT_TIMEOUT=10 /usr/bin/psql \"host={host} "
             "hostaddr=127.0.0.1 port={port} sslmode=verify-full "
             "sslrootcert=certs/ca.pem user=shakedown dbname=shakedown\"{args} "
             "-c 'select 1'",
     {"psql (PostgreSQL) 15", "psql (PostgreSQL) 17"},
     ONLY(PROTOCOL_POSTGRES)},
    {"mariadb", "/usr/bin/mariadb --ssl --ssl-verify-server-cert "
                "--ssl-ca=certs/ca.pem --protocol=TCP -h {host} -P {port} "
                "-u shakedown{args} -e 'select 1'",
     {"MariaDB 10.11", "MariaDB 11.8"},
     ONLY(PROTOCOL_MYSQL)},
};

static const struct {
    const char *release;
} generations[SCENARIO_GEN_COUNT] = {
    [SCENARIO_GEN_BOOKWORM] = {"Debian 12"},
    [SCENARIO_GEN_TRIXIE] = {"Debian 13"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static bool row_serves(size_t i, enum protocol_id p)
{
    return (commands[i].protocols & ONLY(p)) != 0;
}

static const char *template_for(const char *client, enum protocol_id p)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].client, client) == 0 && row_serves(i, p))
            return commands[i].template;
    return NULL;
}

const char *catalogue_first_client(enum protocol_id p)
{
    /* A row of this protocol alone (curl's smtp://, psql) before one
     * that serves many (s_client). */
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (commands[i].protocols == ONLY(p))
            return commands[i].client;
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (row_serves(i, p))
            return commands[i].client;
    return "curl";
}

/* Whether row i is the first of its client (the one versions name). */
static bool first_row(size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (strcmp(commands[k].client, commands[i].client) == 0)
            return false;
    return true;
}

const char *catalogue_client_version(const char *client,
                                     enum scenario_generation g)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].client, client) == 0)
            return (unsigned)g < SCENARIO_GEN_COUNT ? commands[i].versions[g]
                                                    : NULL;
    return NULL;
}

/* The wolfSSL client is built beside the server, in whichever build
 * directory this is: its path relative to the working directory when it
 * lies below it (build-asan/wolfclient), else absolute. */
static const char *wolfclient_path(void)
{
    static char path[PATH_MAX];
    char exe[PATH_MAX], cwd[PATH_MAX];
    if (path[0])
        return path;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash = n > 0 ? memrchr(exe, '/', (size_t)n) : NULL;
    if (slash == NULL) {
        snprintf(path, sizeof(path), "build/wolfclient");
        return path;
    }
    *slash = '\0';
    size_t len = 0;
    if (getcwd(cwd, sizeof(cwd)) != NULL) {
        len = strlen(cwd);
        if (strncmp(exe, cwd, len) != 0 || exe[len] != '/')
            len = 0;
    }
    const char *dir = len ? exe + len + 1 : exe;
    if (strlen(dir) + sizeof("/wolfclient") > sizeof(path))
        dir = "build";
    snprintf(path, sizeof(path), "%.*s/wolfclient",
             (int)(sizeof(path) - sizeof("/wolfclient")), dir);
    return path;
}

static bool is_ip_literal(const char *host)
{
    unsigned char tmp[16];
    return inet_pton(AF_INET, host, tmp) == 1 ||
           inet_pton(AF_INET6, host, tmp) == 1;
}

struct command_var {
    const char *name;
    const char *value;
};

/* Appends template t with its placeholders replaced. The expectation's
 * args are expanded too (a second URL with {port} in it), once. */
static int expand(const char *t, const struct command_var *vars, size_t n_vars,
                  bool in_args, char *out, size_t size, size_t *used)
{
    while (*t) {
        const struct command_var *v = NULL;
        for (size_t i = 0; *t == '{' && i < n_vars && v == NULL; i++)
            if (strncmp(t, vars[i].name, strlen(vars[i].name)) == 0)
                v = &vars[i];
        if (v != NULL && !in_args && strcmp(v->name, "{args}") == 0) {
            if (expand(v->value, vars, n_vars, true, out, size, used) != 0)
                return -1;
            t += strlen(v->name);
            continue;
        }
        size_t n = v ? strlen(v->value) : 1;
        if (*used + n + 1 > size)
            return -1;
        memcpy(out + *used, v ? v->value : t, n);
        *used += n;
        t += v ? strlen(v->name) : 1;
    }
    return 0;
}

int catalogue_command(const struct scenario *s, const struct scenario_expect *e,
                      const char *port, char *out, size_t size)
{
    (void)s;
    const char *t = template_for(e->client, e->protocol);
    const struct protocol *p = protocol_get(e->protocol);
    const char *host = e->host[0] ? e->host : "localhost";
    bool ip = is_ip_literal(host);
    char resolve[300] = "", args[600] = "", url_host[300];
    char openssl_sni[300] = "", openssl_verify[300], gnutls_sni[300] = "";
    if (t == NULL)
        return -1;
    if (!ip && strcmp(host, "localhost") != 0)
        snprintf(resolve, sizeof(resolve), " --resolve %s:%s:127.0.0.1",
                 host, port);
    if (e->args[0])
        snprintf(args, sizeof(args), " %s", e->args);
    snprintf(url_host, sizeof(url_host), strchr(host, ':') ? "[%s]" : "%s",
             host);
    if (!ip) {
        snprintf(openssl_sni, sizeof(openssl_sni), " -servername %s", host);
        snprintf(gnutls_sni, sizeof(gnutls_sni), " --sni-hostname %s", host);
    }
    snprintf(openssl_verify, sizeof(openssl_verify), "%s %s",
             ip ? "-verify_ip" : "-verify_hostname", host);
    char openssl_starttls[64] = "", gnutls_starttls[64] = "";
    if (p->starttls) {
        snprintf(openssl_starttls, sizeof(openssl_starttls), " -starttls %s",
                 p->name);
        snprintf(gnutls_starttls, sizeof(gnutls_starttls),
                 " --starttls-proto=%s", p->name);
    }
    const struct command_var vars[] = {
        {"{host}", host},
        {"{port}", port},
        {"{args}", args},
        {"{resolve}", resolve},
        {"{url_host}", url_host},
        {"{openssl_sni}", openssl_sni},
        {"{openssl_verify}", openssl_verify},
        {"{gnutls_sni}", gnutls_sni},
        {"{openssl_starttls}", openssl_starttls},
        {"{gnutls_starttls}", gnutls_starttls},
        {"{protocol}", p->name},
        {"{wolfclient}", wolfclient_path()},
        /* With request = yes, an HTTP request is typed into the client,
         * and its input stays open for a while: at the end of their input
         * s_client and gnutls-cli quit without waiting for the answer. */
        {"{stdin}", e->request ? "< <(cat tests/clients/http-request.txt; "
                                 "exec sleep 10 2>/dev/null)"
                               : "</dev/null"},
    };
    size_t used = 0;
    if (e->timeout_s > 0) {
        /* Clients that would wait for ever (s_client, gnutls-cli) run
         * under timeout(1), which exits 124 when time is up; line-buffered,
         * so that what they printed is not lost with them. */
        int n = snprintf(out, size, "timeout %d stdbuf -oL ", e->timeout_s);
        if (n < 0 || (size_t)n >= size)
            return -1;
        used = (size_t)n;
    }
    if (expand(t, vars, sizeof(vars) / sizeof(vars[0]), false, out, size,
               &used) != 0)
        return -1;
    out[used] = '\0';
    return 0;
}

/* The configured port moved by --port-offset. Under --ephemeral-ports
 * the kernel picks the port at bind, so the listing shows the configured
 * one until then; one above 65535 is listed as it is, and refused at
 * start-up. */
static int effective_port(const struct catalogue_view *v, const struct scenario *s)
{
    struct ports_rule rule = {v->port_offset, false};
    int port;
    (void)ports_resolve(&rule, s->port, &port);
    return port;
}

size_t catalogue_count_unavailable(const struct catalogue_view *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_entries; i++)
        n += v->entries[i]->ctx == NULL;
    return n;
}

const struct scenario_expect *catalogue_expect(const struct scenario *s,
                                              const char *client)
{
    return catalogue_expect_over(s, client, PROTOCOL_HTTPS);
}

const struct scenario_expect *
catalogue_expect_over(const struct scenario *s, const char *client,
                      enum protocol_id p)
{
    for (int i = 0; i < s->n_expect; i++)
        if (s->expect[i].protocol == p &&
            strcmp(s->expect[i].client, client) == 0 &&
            s->expect[i].variant[0] == '\0')
            return &s->expect[i];
    return NULL;
}

void catalogue_clients(char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_COMMANDS && used < size; i++)
        if (first_row(i))
            used += (size_t)snprintf(out + used, size - used, "%s%s",
                                     used ? ", " : "", commands[i].client);
}

/* Prints text wrapped at 78 columns, each line indented by four spaces. */
static void print_wrapped(FILE *out, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t n = strlen(p);
        if (n > 74) {
            n = 74;
            while (n > 0 && p[n] != ' ')
                n--;
            if (n == 0)
                n = 74;
        }
        fprintf(out, "    %.*s\n", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
}

static void print_table(const struct catalogue_view *v, FILE *out)
{
    fprintf(out, "%-28s %5s  %-12s %-11s %s\n", "NAME", "PORT", "CATEGORY",
            "VERSIONS", "TITLE");
    for (size_t i = 0; i < v->n_entries; i++) {
        const struct entry *e = v->entries[i];
        char versions[16];
        scenario_versions_describe(e->scenario, versions, sizeof(versions));
        fprintf(out, "%-28s %5d  %-12s %-11s %s\n", e->scenario->name,
                effective_port(v, e->scenario), e->scenario->category,
                versions, e->scenario->title);
        if (e->ctx == NULL)
            fprintf(out, "    UNAVAILABLE in this build: %s\n",
                    e->unavailable);
        print_wrapped(out, e->scenario->explain);
    }
}

static void json_result(struct json *j, const struct scenario_result *r)
{
    json_key(j, "exits");
    json_array_begin(j);
    for (int i = 0; i < r->n_exits; i++)
        json_int(j, r->exits[i]);
    json_array_end(j);
    json_kv_string(j, "message", r->message);
    json_kv_string(j, "note", r->note);
}

/* The expectation as the first generation shows it, then every
 * generation's own result with the client version it was verified
 * with. */
static void json_expect(struct json *j, const struct scenario *s,
                        const struct scenario_expect *e)
{
    char cmd[2048];
    json_object_begin(j);
    json_kv_string(j, "protocol", protocol_get(e->protocol)->name);
    json_kv_string(j, "client", e->client);
    json_kv_string(j, "variant", e->variant);
    json_kv_string(j, "host", e->host[0] ? e->host : "localhost");
    json_kv_string(j, "args", e->args);
    json_kv_int(j, "exit", e->gen[0].exits[0]);
    json_result(j, &e->gen[0]);
    json_kv_int(j, "line", e->line);
    json_kv_int(j, "timeout", e->timeout_s);
    json_kv_bool(j, "request", e->request);
    if (catalogue_command(s, e, "{port}", cmd, sizeof(cmd)) == 0)
        json_kv_string(j, "command", cmd);
    json_key(j, "generations");
    json_array_begin(j);
    for (int g = 0; g < scenario_expect_generations(e); g++) {
        json_object_begin(j);
        json_kv_string(j, "name", scenario_generation_name(g));
        json_kv_string(j, "verified_with",
                       catalogue_client_version(e->client, g));
        json_kv_bool(j, "differs", scenario_expect_differs(e, g));
        json_result(j, &e->gen[g]);
        json_object_end(j);
    }
    json_array_end(j);
    json_object_end(j);
}

static void json_generations(struct json *j)
{
    json_key(j, "generations");
    json_array_begin(j);
    for (int g = 0; g < SCENARIO_GEN_COUNT; g++) {
        json_object_begin(j);
        json_kv_string(j, "name", scenario_generation_name(g));
        json_kv_string(j, "release", generations[g].release);
        json_key(j, "clients");
        json_object_begin(j);
        for (size_t i = 0; i < N_COMMANDS; i++)
            if (commands[i].versions[g] != NULL && first_row(i))
                json_kv_string(j, commands[i].client, commands[i].versions[g]);
        json_object_end(j);
        json_object_end(j);
    }
    json_array_end(j);
}

/* What the scenario is for: "fail" when a correct client must refuse
 * it, "succeed" when it must connect, "depends" when both happen. */
const char *catalogue_intent(const struct scenario *s)
{
    return grade_intent_name(grade_intent(s));
}

/* The port a client reaches the scenario on: the bound one once
 * listening (ephemeral ports), else the configured one. */
static int reach_port(const struct catalogue_view *v, const struct entry *e)
{
    return e->listening ? e->port
                        : effective_port(v, e->scenario);
}

/* "ciphers": the suites the scenario names, by their IANA names (a
 * cipher-list keyword as written); empty when it names none and serves the
 * default. */
static void json_suites(struct json *j, const struct scenario *s)
{
    char list[sizeof(s->ciphers)];
    snprintf(list, sizeof(list), "%s", s->ciphers);
    json_key(j, "ciphers");
    json_array_begin(j);
    char *save = NULL;
    for (char *name = strtok_r(list, ":", &save); name;
         name = strtok_r(NULL, ":", &save)) {
        const char *iana = suites_iana(name);
        json_string(j, iana ? iana : name);
    }
    json_array_end(j);
}

/* How the server frames its records: 0 for a size it leaves to wolfSSL,
 * and the handshake messages re-framed (none listed: every one). */
static void json_records(struct json *j, const struct scenario *s)
{
    json_key(j, "records");
    json_object_begin(j);
    json_kv_int(j, "handshake_size", s->handshake_record_size);
    json_key(j, "handshake_messages");
    json_array_begin(j);
    for (int t = 0; t < 32; t++) {
        const char *name = scenario_record_message_name(t);
        if (name != NULL && (s->record_messages & (UINT32_C(1) << t)))
            json_string(j, name);
    }
    json_array_end(j);
    json_kv_int(j, "app_size", s->app_record_size);
    json_object_end(j);
}

/* What a ClientHello that offers to resume meets. */
static void json_resumption(struct json *j, const struct scenario *s)
{
    char action[64];
    const struct scenario_action *a = &s->on_resumption;
    if (a->kind == SCENARIO_ALERT)
        snprintf(action, sizeof(action), "alert:%s", alert_name(a->alert));
    else
        snprintf(action, sizeof(action), "%s", scenario_action_name(a->kind));
    json_key(j, "resumption");
    json_object_begin(j);
    json_kv_bool(j, "refuse", s->resumption_refuse);
    json_kv_string(j, "cert", s->resumed_identity.cert);
    json_kv_string(j, "action", action);
    json_object_end(j);
}

/* [http]: status 0 is the page's 200; plain_port -1, no companion. */
static void json_http(struct json *j, const struct scenario *s)
{
    json_key(j, "http");
    json_object_begin(j);
    json_kv_int(j, "status", s->http_status ? s->http_status : 200);
    json_key(j, "headers");
    json_array_begin(j);
    for (int i = 0; i < s->http_headers.n; i++)
        json_string(j, s->http_headers.line[i]);
    json_array_end(j);
    json_kv_string(j, "location", s->http_location);
    json_kv_string(j, "body", s->http_body.file);
    json_kv_string(j, "content_type", s->http_content_type);
    json_kv_int(j, "plain_port", s->plain_port);
    json_object_end(j);
}

static void json_outcomes(struct json *j, const struct scenario *s)
{
    json_key(j, "outcomes");
    json_array_begin(j);
    for (int o = 0; o < SCENARIO_OUTCOME_COUNT; o++)
        if (s->outcomes & (1u << o))
            json_string(j, scenario_outcome_name((enum scenario_outcome)o));
    json_array_end(j);
}

int catalogue_json(const struct catalogue_view *v, struct buf *b)
{
    struct json j;
    json_init(&j, b);
    json_object_begin(&j);
    json_kv_string(&j, "wolfssl", tlsio_library_version());
    json_kv_string(&j, "protocol", protocol_get(v->protocol)->name);
    json_key(&j, "protocols");
    json_array_begin(&j);
    for (int p = 0; p < PROTOCOL_COUNT; p++)
        json_string(&j, protocol_get(p)->name);
    json_array_end(&j);
    json_generations(&j);
    json_key(&j, "scenarios");
    json_array_begin(&j);
    for (size_t i = 0; i < v->n_entries; i++) {
        const struct entry *e = v->entries[i];
        const struct scenario *s = e->scenario;
        char versions[16];
        scenario_versions_describe(s, versions, sizeof(versions));
        json_object_begin(&j);
        json_kv_string(&j, "name", s->name);
        json_kv_int(&j, "port", reach_port(v, e));
        json_kv_string(&j, "title", s->title);
        json_kv_string(&j, "intent", catalogue_intent(s));
        json_outcomes(&j, s);
        json_kv_string(&j, "category", s->category);
        json_kv_string(&j, "versions", versions);
        json_suites(&j, s);
        json_key(&j, "groups");
        json_array_begin(&j);
        for (int g = 0; g < s->n_groups; g++)
            json_string(&j, hello_group_name(s->groups[g]));
        json_array_end(&j);
        json_records(&j, s);
        json_resumption(&j, s);
        json_http(&j, s);
        json_kv_string(&j, "sign_with", s->sign_with != 0
                                            ? scenario_sigalg_name(s->sign_with)
                                            : "");
        json_kv_string(&j, "explain", s->explain);
        json_kv_string(&j, "file", s->file);
        json_key(&j, "served_over");
        json_array_begin(&j);
        for (int p = 0; p < PROTOCOL_COUNT; p++)
            if (scenario_serves(s, p))
                json_string(&j, protocol_get(p)->name);
        json_array_end(&j);
        json_kv_bool(&j, "available", e->ctx != NULL);
        json_kv_string(&j, "unavailable_reason", e->unavailable);
        json_key(&j, "expect");
        json_array_begin(&j);
        for (int k = 0; k < s->n_expect; k++)
            if (s->expect[k].protocol == v->protocol)
                json_expect(&j, s, &s->expect[k]);
        json_array_end(&j);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_object_end(&j);
    if (j.failed || buf_append(b, "\n", 1) != 0)
        return -1;
    return 0;
}

static void print_json(const struct catalogue_view *v, FILE *out)
{
    struct buf b;
    buf_init(&b);
    if (catalogue_json(v, &b) == 0)
        fwrite(buf_head(&b), 1, buf_pending(&b), out);
    buf_free(&b);
}

/* Markdown table cells may not hold '|' or line breaks. */
static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static void md_result(FILE *out, const struct scenario_result *r)
{
    fprintf(out, "exit %d", r->exits[0]);
    for (int i = 1; i < r->n_exits; i++)
        fprintf(out, " or %d", r->exits[i]);
    fputs(": ", out);
    md_cell(out, r->message);
}

/* "curl 7.88: exit 0: ...; curl 8.14: exit 56: ..." when the generations
 * differ, else the one result. */
static void md_expect(FILE *out, const struct scenario_expect *e)
{
    bool differs = false;
    for (int g = 1; g < scenario_expect_generations(e); g++)
        differs = differs || scenario_expect_differs(e, g);
    if (!differs) {
        md_result(out, &e->gen[0]);
        return;
    }
    for (int g = 0; g < scenario_expect_generations(e); g++) {
        if (g > 0 && !scenario_expect_differs(e, g))
            continue;
        fprintf(out, "%s%s: ", g ? "; " : "",
                catalogue_client_version(e->client, g));
        md_result(out, &e->gen[g]);
    }
}

/* Every expectation whose result changes from one Debian release's
 * clients to the next: what a client developer upgrading meets. */
static void print_generation_changes(const struct catalogue_view *v, FILE *out)
{
    fprintf(out, "\nWhere Debian 13's clients differ from Debian 12's:\n\n"
                 "| scenario | client | %s | %s |\n|---|---|---|---|\n",
            generations[0].release, generations[1].release);
    for (size_t i = 0; i < v->n_entries; i++) {
        const struct scenario *s = v->entries[i]->scenario;
        for (int k = 0; k < s->n_expect; k++) {
            const struct scenario_expect *e = &s->expect[k];
            if (e->protocol != v->protocol)
                continue;
            for (int g = 1; g < scenario_expect_generations(e); g++) {
                if (!scenario_expect_differs(e, g))
                    continue;
                fprintf(out, "| `%s` | %s%s%s | %s: ", s->name, e->client,
                        e->variant[0] ? "." : "", e->variant,
                        catalogue_client_version(e->client, 0));
                md_result(out, &e->gen[0]);
                fprintf(out, " | %s: ", catalogue_client_version(e->client, g));
                md_result(out, &e->gen[g]);
                fputs(" |\n", out);
            }
        }
    }
}

static void print_markdown(const struct catalogue_view *v, FILE *out)
{
    fputs("| scenario | port | category | what it serves | default curl "
          "shows |\n|---|---|---|---|---|\n", out);
    for (size_t i = 0; i < v->n_entries; i++) {
        const struct scenario *s = v->entries[i]->scenario;
        const struct scenario_expect *e = catalogue_expect(s, "curl");
        fprintf(out, "| `%s` | %d | %s | ", s->name, effective_port(v, s),
                s->category);
        md_cell(out, s->title);
        fputs(" | ", out);
        if (e != NULL)
            md_expect(out, e);
        fputs(" |\n", out);
    }
    print_generation_changes(v, out);
    fputs("\nReproduce each with curl (from the project directory):\n\n",
          out);
    for (size_t i = 0; i < v->n_entries; i++) {
        const struct scenario *s = v->entries[i]->scenario;
        const struct scenario_expect *e = catalogue_expect(s, "curl");
        char port[16], cmd[2048];
        if (e == NULL)
            continue;
        snprintf(port, sizeof(port), "%d", effective_port(v, s));
        if (catalogue_command(s, e, port, cmd, sizeof(cmd)) != 0)
            continue;
        fprintf(out, "- `%s`: `%s`\n", s->name, cmd);
    }
}

void catalogue_print(const struct catalogue_view *v, enum catalogue_format f,
                     FILE *out)
{
    switch (f) {
    case CATALOGUE_TABLE: print_table(v, out); break;
    case CATALOGUE_JSON: print_json(v, out); break;
    case CATALOGUE_MARKDOWN: print_markdown(v, out); break;
    }
}

void catalogue_print_serving(const struct catalogue_view *v, FILE *out)
{
    char ca[PATH_MAX + 16], path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/ca.pem", v->certs_dir);
    if (realpath(path, ca) == NULL)
        snprintf(ca, sizeof(ca), "%s", path);
    size_t serving = v->n_entries - catalogue_count_unavailable(v);
    fprintf(out, "shakedown: serving %zu scenario%s on %s\n", serving,
            serving == 1 ? "" : "s", v->bind);
    fprintf(out, "%-28s %5s  %s\n", "NAME", "PORT", "TITLE");
    for (size_t i = 0; i < v->n_entries; i++) {
        const struct entry *e = v->entries[i];
        if (e->listening)
            fprintf(out, "%-28s %5d  %s\n", e->scenario->name,
                    e->port, e->scenario->title);
        else
            fprintf(out, "%-28s %5s  unavailable: %s\n", e->scenario->name,
                    "-", e->unavailable);
    }
    fprintf(out, "Trust this CA: %s\n", ca);
    if (v->dashboard_url != NULL)
        fprintf(out, "Dashboard: %s\n", v->dashboard_url);
    fprintf(out, "Ctrl-C stops.\n");
    fflush(out);
}
