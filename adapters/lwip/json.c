/* A small JSON reader and writer: see json.h. */
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

struct parser {
    const char *start, *p, *end;
    char *err;
    size_t errlen;
    int failed;
};

static void fail_at(struct parser *ps, const char *what)
{
    if (!ps->failed) {
        ps->failed = 1;
        snprintf(ps->err, ps->errlen, "%s at character %zu", what, (size_t)(ps->p - ps->start));
    }
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        fputs("udpconf-lwip: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *xrealloc(void *old, size_t size)
{
    void *p = realloc(old, size ? size : 1);
    if (p == NULL) {
        fputs("udpconf-lwip: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void skip_blanks(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static struct jval *parse_value(struct parser *ps, int depth);

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_u16(struct parser *ps, unsigned *out)
{
    unsigned v = 0;
    if (ps->end - ps->p < 4) return 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(ps->p[i]);
        if (d < 0) return 0;
        v = v * 16 + (unsigned)d;
    }
    ps->p += 4;
    *out = v;
    return 1;
}

static void put_utf8(struct sbuf *b, unsigned long cp)
{
    char tmp[4];
    size_t n;
    if (cp < 0x80) {
        tmp[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        tmp[0] = (char)(0xC0 | (cp >> 6));
        tmp[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        tmp[0] = (char)(0xE0 | (cp >> 12));
        tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        tmp[0] = (char)(0xF0 | (cp >> 18));
        tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sb_put(b, tmp, n);
}

/* At the opening quote; on success the string (NUL-terminated) and its length. */
static int parse_string(struct parser *ps, char **out, size_t *outlen)
{
    struct sbuf b;
    sb_init(&b);
    ps->p++; /* the opening quote */
    for (;;) {
        if (ps->p >= ps->end) {
            fail_at(ps, "unterminated string");
            sb_free(&b);
            return 0;
        }
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c < 0x20) {
            fail_at(ps, "control character in a string");
            sb_free(&b);
            return 0;
        }
        if (c != '\\') {
            /* copy a run of plain characters at once */
            const char *run = ps->p;
            while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && (unsigned char)*ps->p >= 0x20)
                ps->p++;
            sb_put(&b, run, (size_t)(ps->p - run));
            continue;
        }
        ps->p++;
        if (ps->p >= ps->end) {
            fail_at(ps, "unterminated escape");
            sb_free(&b);
            return 0;
        }
        char e = *ps->p++;
        switch (e) {
        case '"': sb_put(&b, "\"", 1); break;
        case '\\': sb_put(&b, "\\", 1); break;
        case '/': sb_put(&b, "/", 1); break;
        case 'b': sb_put(&b, "\b", 1); break;
        case 'f': sb_put(&b, "\f", 1); break;
        case 'n': sb_put(&b, "\n", 1); break;
        case 'r': sb_put(&b, "\r", 1); break;
        case 't': sb_put(&b, "\t", 1); break;
        case 'u': {
            unsigned hi, lo;
            if (!read_u16(ps, &hi)) {
                fail_at(ps, "bad \\u escape");
                sb_free(&b);
                return 0;
            }
            unsigned long cp = hi;
            if (hi >= 0xD800 && hi <= 0xDBFF) {
                if (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
                    ps->p += 2;
                    if (!read_u16(ps, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                        fail_at(ps, "bad surrogate pair");
                        sb_free(&b);
                        return 0;
                    }
                    cp = 0x10000 + (((unsigned long)hi - 0xD800) << 10) + (lo - 0xDC00);
                } else {
                    cp = 0xFFFD; /* a lone high surrogate */
                }
            } else if (hi >= 0xDC00 && hi <= 0xDFFF) {
                cp = 0xFFFD; /* a lone low surrogate */
            }
            put_utf8(&b, cp);
            break;
        }
        default:
            fail_at(ps, "bad escape");
            sb_free(&b);
            return 0;
        }
    }
    sb_put(&b, "", 0);
    if (b.data == NULL) {
        b.data = xcalloc(1, 1);
    }
    b.data[b.length] = '\0';
    *out = b.data;
    *outlen = b.length;
    return 1;
}

static int parse_number(struct parser *ps, struct jval *v)
{
    const char *start = ps->p;
    int integral = 1;
    if (ps->p < ps->end && *ps->p == '-') ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
        fail_at(ps, "bad number");
        return 0;
    }
    if (*ps->p == '0') {
        ps->p++;
    } else {
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    if (ps->p < ps->end && *ps->p == '.') {
        integral = 0;
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
            fail_at(ps, "bad fraction");
            return 0;
        }
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        integral = 0;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
            fail_at(ps, "bad exponent");
            return 0;
        }
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    size_t n = (size_t)(ps->p - start);
    char buf[64];
    char *copy = n < sizeof buf ? buf : xcalloc(n + 1, 1);
    memcpy(copy, start, n);
    copy[n] = '\0';
    v->type = J_NUMBER;
    v->number = strtod(copy, NULL);
    if (integral) {
        errno = 0;
        long long i = strtoll(copy, NULL, 10);
        if (errno == 0) {
            v->is_integer = 1;
            v->integer = i;
        }
    } else if (v->number >= -9.2e18 && v->number <= 9.2e18 && v->number == (double)(long long)v->number) {
        v->is_integer = 1;
        v->integer = (long long)v->number;
    }
    if (copy != buf) free(copy);
    return 1;
}

static int literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, word, n) == 0) {
        ps->p += n;
        return 1;
    }
    return 0;
}

static struct jval *parse_value(struct parser *ps, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        fail_at(ps, "nesting too deep");
        return NULL;
    }
    skip_blanks(ps);
    if (ps->p >= ps->end) {
        fail_at(ps, "unexpected end");
        return NULL;
    }
    struct jval *v = xcalloc(1, sizeof *v);
    char c = *ps->p;
    if (c == '{') {
        size_t cap = 0;
        v->type = J_OBJECT;
        ps->p++;
        skip_blanks(ps);
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return v;
        }
        for (;;) {
            skip_blanks(ps);
            if (ps->p >= ps->end || *ps->p != '"') {
                fail_at(ps, "expected a key");
                json_free(v);
                return NULL;
            }
            char *key;
            size_t keylen;
            if (!parse_string(ps, &key, &keylen)) {
                json_free(v);
                return NULL;
            }
            skip_blanks(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                fail_at(ps, "expected ':'");
                json_free(v);
                return NULL;
            }
            ps->p++;
            struct jval *member = parse_value(ps, depth + 1);
            if (member == NULL) {
                free(key);
                json_free(v);
                return NULL;
            }
            if (v->length == cap) {
                cap = cap ? cap * 2 : 8;
                v->items = xrealloc(v->items, cap * sizeof *v->items);
                v->keys = xrealloc(v->keys, cap * sizeof *v->keys);
            }
            v->items[v->length] = member;
            v->keys[v->length] = key;
            v->length++;
            skip_blanks(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == '}') {
                ps->p++;
                return v;
            }
            fail_at(ps, "expected ',' or '}'");
            json_free(v);
            return NULL;
        }
    }
    if (c == '[') {
        size_t cap = 0;
        v->type = J_ARRAY;
        ps->p++;
        skip_blanks(ps);
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return v;
        }
        for (;;) {
            struct jval *item = parse_value(ps, depth + 1);
            if (item == NULL) {
                json_free(v);
                return NULL;
            }
            if (v->length == cap) {
                cap = cap ? cap * 2 : 8;
                v->items = xrealloc(v->items, cap * sizeof *v->items);
            }
            v->items[v->length++] = item;
            skip_blanks(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == ']') {
                ps->p++;
                return v;
            }
            fail_at(ps, "expected ',' or ']'");
            json_free(v);
            return NULL;
        }
    }
    if (c == '"') {
        v->type = J_STRING;
        if (!parse_string(ps, &v->string, &v->length)) {
            free(v);
            return NULL;
        }
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        if (!parse_number(ps, v)) {
            free(v);
            return NULL;
        }
        return v;
    }
    if (literal(ps, "true")) {
        v->type = J_BOOL;
        v->boolean = 1;
        return v;
    }
    if (literal(ps, "false")) {
        v->type = J_BOOL;
        return v;
    }
    if (literal(ps, "null")) {
        v->type = J_NULL;
        return v;
    }
    fail_at(ps, "unexpected character");
    free(v);
    return NULL;
}

struct jval *json_parse(const char *text, size_t length, char *err, size_t errlen)
{
    struct parser ps = { text, text, text + length, err, errlen, 0 };
    struct jval *v = parse_value(&ps, 0);
    if (v == NULL) {
        if (!ps.failed) fail_at(&ps, "bad JSON");
        return NULL;
    }
    skip_blanks(&ps);
    if (ps.p != ps.end) {
        fail_at(&ps, "trailing characters");
        json_free(v);
        return NULL;
    }
    return v;
}

void json_free(struct jval *v)
{
    if (v == NULL) return;
    if (v->type == J_ARRAY || v->type == J_OBJECT) {
        for (size_t i = 0; i < v->length; i++) {
            json_free(v->items[i]);
            if (v->keys) free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
    }
    free(v->string);
    free(v);
}

const struct jval *json_get(const struct jval *object, const char *key)
{
    const struct jval *found = NULL;
    if (object == NULL || object->type != J_OBJECT) return NULL;
    for (size_t i = 0; i < object->length; i++)
        if (strcmp(object->keys[i], key) == 0) found = object->items[i];
    return found;
}

/* ---- writer ---- */

void sb_init(struct sbuf *b)
{
    b->data = NULL;
    b->length = b->capacity = 0;
}

void sb_free(struct sbuf *b)
{
    free(b->data);
    sb_init(b);
}

static void sb_reserve(struct sbuf *b, size_t extra)
{
    if (b->length + extra + 1 > b->capacity) {
        size_t cap = b->capacity ? b->capacity : 256;
        while (cap < b->length + extra + 1) cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->capacity = cap;
    }
}

void sb_put(struct sbuf *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    if (n) memcpy(b->data + b->length, s, n);
    b->length += n;
    b->data[b->length] = '\0';
}

void sb_puts(struct sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

void sb_printf(struct sbuf *b, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(NULL, 0, format, ap);
    va_end(ap);
    if (n < 0) return;
    sb_reserve(b, (size_t)n);
    va_start(ap, format);
    vsnprintf(b->data + b->length, (size_t)n + 1, format, ap);
    va_end(ap);
    b->length += (size_t)n;
}

void sb_json_string(struct sbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': sb_put(b, "\\\"", 2); break;
        case '\\': sb_put(b, "\\\\", 2); break;
        case '\n': sb_put(b, "\\n", 2); break;
        case '\r': sb_put(b, "\\r", 2); break;
        case '\t': sb_put(b, "\\t", 2); break;
        default:
            if (*p < 0x20) {
                sb_printf(b, "\\u%04x", *p);
            } else {
                sb_put(b, (const char *)p, 1);
            }
        }
    }
    sb_put(b, "\"", 1);
}

void sb_json_hex(struct sbuf *b, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    sb_reserve(b, 2 * n + 2);
    b->data[b->length++] = '"';
    for (size_t i = 0; i < n; i++) {
        b->data[b->length++] = digits[p[i] >> 4];
        b->data[b->length++] = digits[p[i] & 15];
    }
    b->data[b->length++] = '"';
    b->data[b->length] = '\0';
}
