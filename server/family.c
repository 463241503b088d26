/*
 * Scenario families: a template and its [member.NAME] sections (family.h).
 * Two passes over the text: one reads the members' variables, the other
 * writes the template once per member with {VARIABLE} replaced, member
 * sections turned into blank lines so that line numbers do not move.
 */
#include "family.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAMILY_MAX_MEMBERS 128
#define FAMILY_MAX_VARS 32
#define FAMILY_NAME_MAX 64
#define FAMILY_VALUE_MAX 1024

struct family_var {
    char key[FAMILY_NAME_MAX];
    char value[FAMILY_VALUE_MAX];
};

struct family_member {
    char name[FAMILY_NAME_MAX];
    int line;
    int n_vars;
    struct family_var vars[FAMILY_MAX_VARS];
};

struct family {
    const char *file;
    struct diag *d;
    int n_members, cap;
    struct family_member *members;
};

static const char member_prefix[] = "[member.";

/* One line of text: [start, end) without its line ending; next is where
 * the following line starts. */
struct line {
    const char *start, *end, *next;
};

static bool next_line(const char **pos, struct line *ln)
{
    const char *p = *pos;
    if (*p == '\0')
        return false;
    const char *nl = strchr(p, '\n');
    ln->start = p;
    ln->next = nl ? nl + 1 : p + strlen(p);
    ln->end = nl ? nl : ln->next;
    while (ln->end > ln->start && ln->end[-1] == '\r')
        ln->end--;
    *pos = ln->next;
    return true;
}

/* Headers start in the first column, as in every scenario file. */
static bool is_header(const struct line *ln)
{
    return ln->start < ln->end && ln->start[0] == '[';
}

static bool is_member_header(const struct line *ln)
{
    size_t n = sizeof(member_prefix) - 1;
    return (size_t)(ln->end - ln->start) > n &&
           memcmp(ln->start, member_prefix, n) == 0;
}

bool family_is(const char *text)
{
    struct line ln;
    while (next_line(&text, &ln))
        if (is_member_header(&ln))
            return true;
    return false;
}

static bool is_var_char(char c)
{
    return islower((unsigned char)c) || isdigit((unsigned char)c) || c == '_';
}

static bool is_name_char(char c)
{
    return is_var_char(c) || c == '-' || c == '.';
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

static const char *trim_end(const char *start, const char *end)
{
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    return end;
}

/* "a, b, c": the variables m sets, for an error message. */
static void var_list(const struct family_member *m, char *out, size_t size)
{
    size_t used = 0;
    int n = snprintf(out, size, "{member}");
    used = n > 0 ? (size_t)n : 0;
    for (int i = 0; i < m->n_vars && used < size; i++) {
        n = snprintf(out + used, size - used, ", {%s}", m->vars[i].key);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int open_member(struct family *f, const struct line *ln, int line)
{
    size_t n = sizeof(member_prefix) - 1;
    const char *name = ln->start + n;
    const char *close = memchr(name, ']', (size_t)(ln->end - name));
    if (close == NULL || skip_space(close + 1, ln->end) != ln->end)
        return diag_set(f->d, f->file, line,
                        "a member header is [member.NAME], alone on its "
                        "line");
    size_t len = (size_t)(close - name);
    if (len == 0 || len >= FAMILY_NAME_MAX)
        return diag_set(f->d, f->file, line,
                        "[member.NAME]: NAME must have 1 to %d characters",
                        FAMILY_NAME_MAX - 1);
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(name[i]))
            return diag_set(f->d, f->file, line,
                            "[member.%.*s]: a member's name may hold only "
                            "lower-case letters, digits, '.', '-' and '_'",
                            (int)len, name);
    for (int i = 0; i < f->n_members; i++)
        if (strlen(f->members[i].name) == len &&
            memcmp(f->members[i].name, name, len) == 0)
            return diag_set(f->d, f->file, line,
                            "[member.%.*s] appears twice (first at line %d)",
                            (int)len, name, f->members[i].line);
    if (f->n_members == FAMILY_MAX_MEMBERS)
        return diag_set(f->d, f->file, line,
                        "more than %d members in one family",
                        FAMILY_MAX_MEMBERS);
    if (f->n_members == f->cap) {
        int cap = f->cap ? f->cap * 2 : 8;
        struct family_member *p =
            realloc(f->members, (size_t)cap * sizeof(*p));
        if (p == NULL)
            return diag_set(f->d, f->file, line, "out of memory");
        f->members = p;
        f->cap = cap;
    }
    struct family_member *m = &f->members[f->n_members++];
    memset(m, 0, sizeof(*m));
    memcpy(m->name, name, len);
    m->line = line;
    return 0;
}

static int append_value(struct family *f, struct family_var *v, int line,
                        const char *text, size_t len, bool continued)
{
    size_t have = strlen(v->value);
    size_t need = have + (continued && have ? 1 : 0) + len;
    if (need >= sizeof(v->value))
        return diag_set(f->d, f->file, line,
                        "variable %s is too long (at most %zu characters)",
                        v->key, sizeof(v->value) - 1);
    if (continued && have)
        v->value[have++] = ' ';
    memcpy(v->value + have, text, len);
    v->value[have + len] = '\0';
    return 0;
}

/* One line inside a member section: "key = value", an indented
 * continuation of the last value, a blank line or a comment. An inline
 * comment starts with ';' after a space, as in inih. */
static int member_line(struct family *f, const struct line *ln, int line)
{
    struct family_member *m = &f->members[f->n_members - 1];
    const char *p = skip_space(ln->start, ln->end);
    if (p == ln->end || *p == ';' || *p == '#')
        return 0;
    const char *end = ln->end;
    for (const char *q = p + 1; q < end; q++)
        if (*q == ';' && isspace((unsigned char)q[-1])) {
            end = q;
            break;
        }
    end = trim_end(p, end);
    if (p > ln->start && m->n_vars > 0)
        return append_value(f, &m->vars[m->n_vars - 1], line, p,
                            (size_t)(end - p), true);
    const char *eq = memchr(p, '=', (size_t)(end - p));
    if (eq == NULL)
        return diag_set(f->d, f->file, line,
                        "[member.%s]: expected VARIABLE = value", m->name);
    const char *kend = trim_end(p, eq);
    size_t klen = (size_t)(kend - p);
    if (klen == 0 || klen >= FAMILY_NAME_MAX)
        return diag_set(f->d, f->file, line,
                        "[member.%s]: a variable's name must have 1 to %d "
                        "characters", m->name, FAMILY_NAME_MAX - 1);
    for (size_t i = 0; i < klen; i++)
        if (!is_var_char(p[i]))
            return diag_set(f->d, f->file, line,
                            "[member.%s] %.*s: a variable's name may hold "
                            "only lower-case letters, digits and '_'",
                            m->name, (int)klen, p);
    if (klen == 6 && memcmp(p, "member", 6) == 0)
        return diag_set(f->d, f->file, line,
                        "[member.%s]: {member} is the member's name and "
                        "cannot be set", m->name);
    for (int i = 0; i < m->n_vars; i++)
        if (strlen(m->vars[i].key) == klen &&
            memcmp(m->vars[i].key, p, klen) == 0)
            return diag_set(f->d, f->file, line,
                            "[member.%s] %s is set twice", m->name,
                            m->vars[i].key);
    if (m->n_vars == FAMILY_MAX_VARS)
        return diag_set(f->d, f->file, line,
                        "[member.%s]: more than %d variables", m->name,
                        FAMILY_MAX_VARS);
    struct family_var *v = &m->vars[m->n_vars++];
    memcpy(v->key, p, klen);
    v->key[klen] = '\0';
    v->value[0] = '\0';
    const char *val = skip_space(eq + 1, end);
    return append_value(f, v, line, val, (size_t)(end - val), false);
}

static int read_members(struct family *f, const char *text)
{
    struct line ln;
    int line = 0;
    bool inside = false;
    while (next_line(&text, &ln)) {
        line++;
        if (is_header(&ln)) {
            inside = is_member_header(&ln);
            if (inside && open_member(f, &ln, line) != 0)
                return -1;
            continue;
        }
        if (inside && member_line(f, &ln, line) != 0)
            return -1;
    }
    for (int i = 0; i < f->n_members; i++)
        if (f->members[i].n_vars == 0)
            return diag_set(f->d, f->file, f->members[i].line,
                            "[member.%s] sets no variable",
                            f->members[i].name);
    return 0;
}

static const char *lookup(const struct family_member *m, const char *key,
                          size_t len)
{
    if (len == 6 && memcmp(key, "member", 6) == 0)
        return m->name;
    for (int i = 0; i < m->n_vars; i++)
        if (strlen(m->vars[i].key) == len &&
            memcmp(m->vars[i].key, key, len) == 0)
            return m->vars[i].value;
    return NULL;
}

struct out {
    char *buf;
    size_t len, cap;
};

static int put(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (o->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(o->buf, cap);
        if (p == NULL)
            return -1;
        o->buf = p;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
    return 0;
}

/* One template line with m's values, into o. */
static int expand_line(struct family *f, const struct family_member *m,
                       const struct line *ln, int line, struct out *o)
{
    const char *p = ln->start;
    while (p < ln->end) {
        const char *brace = memchr(p, '{', (size_t)(ln->end - p));
        if (brace == NULL)
            brace = ln->end;
        if (put(o, p, (size_t)(brace - p)) != 0)
            goto oom;
        if (brace == ln->end)
            break;
        if (brace + 1 < ln->end && brace[1] == '{') {
            if (put(o, "{", 1) != 0)
                goto oom;
            p = brace + 2;
            continue;
        }
        const char *key = brace + 1, *k = key;
        while (k < ln->end && is_var_char(*k))
            k++;
        if (k == key || k == ln->end || *k != '}')
            return diag_set(f->d, f->file, line,
                            "'{' starts no {VARIABLE}: write {{ for a "
                            "literal brace");
        const char *value = lookup(m, key, (size_t)(k - key));
        if (value == NULL) {
            char list[512];
            var_list(m, list, sizeof(list));
            return diag_set(f->d, f->file, line,
                            "{%.*s}: [member.%s] (line %d) does not set it "
                            "(it has %s)",
                            (int)(k - key), key, m->name, m->line, list);
        }
        if (put(o, value, strlen(value)) != 0)
            goto oom;
        p = k + 1;
    }
    return put(o, ln->end, (size_t)(ln->next - ln->end)) == 0 ? 0 : -1;
oom:
    return diag_set(f->d, f->file, line, "out of memory");
}

static int expand(struct family *f, const struct family_member *m,
                  const char *text, struct out *o)
{
    struct line ln;
    int line = 0;
    bool inside = false;
    o->len = 0;
    if (put(o, "", 0) != 0)
        return diag_set(f->d, f->file, 0, "out of memory");
    while (next_line(&text, &ln)) {
        line++;
        if (is_header(&ln))
            inside = is_member_header(&ln);
        if (inside) {
            if (put(o, ln.end, (size_t)(ln.next - ln.end)) != 0)
                return diag_set(f->d, f->file, line, "out of memory");
            continue;
        }
        /* Comments are copied as they are: they may speak of {VARIABLE}. */
        const char *p = skip_space(ln.start, ln.end);
        bool comment = p < ln.end && (*p == ';' || *p == '#');
        if (!comment && expand_line(f, m, &ln, line, o) != 0)
            return -1;
        if (comment && put(o, ln.start, (size_t)(ln.next - ln.start)) != 0)
            return diag_set(f->d, f->file, line, "out of memory");
    }
    return 0;
}

int family_expand(const char *text, const char *file, family_fn *fn,
                  void *arg, struct diag *d)
{
    struct family f = {.file = file, .d = d};
    struct out o = {0};
    int rc = -1;
    if (read_members(&f, text) != 0)
        goto done;
    for (int i = 0; i < f.n_members; i++) {
        const struct family_member *m = &f.members[i];
        if (expand(&f, m, text, &o) != 0 ||
            fn(arg, o.buf, m->name, m->line, d) != 0)
            goto done;
    }
    rc = 0;
done:
    free(o.buf);
    free(f.members);
    return rc;
}
