/* A small JSON reader and writer for the udpconf process protocol (Conformance/PROTOCOL.md).
 *
 * The reader builds a tree of every JSON value (objects, arrays, strings with all escapes including
 * \uXXXX and surrogate pairs, numbers, true, false, null); it is strict about syntax and bounds its depth.
 * The writer appends to a growable string. Neither uses any library beyond libc. */
#ifndef UDPCONF_LWIP_JSON_H
#define UDPCONF_LWIP_JSON_H

#include <stddef.h>

enum jtype { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

struct jval {
    enum jtype type;
    int boolean;          /* J_BOOL */
    int is_integer;       /* J_NUMBER: an integer that fits a long long */
    long long integer;    /* J_NUMBER with is_integer */
    double number;        /* J_NUMBER (always set) */
    char *string;         /* J_STRING: NUL-terminated (may hold NULs: see length) */
    size_t length;        /* J_STRING: bytes; J_ARRAY, J_OBJECT: members */
    struct jval **items;  /* J_ARRAY, J_OBJECT: the values */
    char **keys;          /* J_OBJECT: the keys */
};

/* Parses one JSON text (surrounding blanks allowed). NULL on error, with a message in err. */
struct jval *json_parse(const char *text, size_t length, char *err, size_t errlen);
void json_free(struct jval *value);

/* The member of an object named key (the last one if repeated), or NULL (also when v is no object). */
const struct jval *json_get(const struct jval *object, const char *key);

/* A growable string. */
struct sbuf {
    char *data;
    size_t length, capacity;
};

void sb_init(struct sbuf *b);
void sb_free(struct sbuf *b);
void sb_put(struct sbuf *b, const char *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
void sb_printf(struct sbuf *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal, quoted and escaped. */
void sb_json_string(struct sbuf *b, const char *s);
/* Lowercase hex of n bytes, quoted. */
void sb_json_hex(struct sbuf *b, const unsigned char *p, size_t n);

#endif
