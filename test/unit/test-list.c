/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-list.c - unit tests of the list macros and the string-table macros */
#include "list.h"
#include "macro.h"
#include "string-table.h"
#include "tests.h"

typedef struct Item {
        int v;
        LIST_FIELDS(struct Item, items);
} Item;

static int sum(Item *head) {
        int s = 0, k = 1;
        LIST_FOREACH(items, i, head)
                s += i->v * k++;        /* order matters */
        return s;
}

TEST(append_prepend_remove) {
        Item a = { .v = 1 }, b = { .v = 2 }, c = { .v = 3 };
        Item *head = NULL, *tail = NULL;

        LIST_APPEND(items, head, tail, &b);
        LIST_APPEND(items, head, tail, &c);
        LIST_PREPEND(items, head, tail, &a);
        CHECK(head == &a && tail == &c);
        CHECK_INTEQ(sum(head), 1 + 4 + 9);
        CHECK(LIST_LINKED(items, head, &b));

        LIST_REMOVE(items, head, tail, &b);
        CHECK(!LIST_LINKED(items, head, &b));
        CHECK_INTEQ(sum(head), 1 + 6);
        LIST_REMOVE(items, head, tail, &c);
        CHECK(head == &a && tail == &a);
        CHECK(LIST_POP(items, head, tail) == &a);
        CHECK(!head && !tail);
        CHECK(LIST_POP(items, head, tail) == NULL);
}

TEST(foreach_safe_removes) {
        Item it[5] = {};
        Item *head = NULL, *tail = NULL;
        for (int i = 0; i < 5; i++) {
                it[i].v = i;
                LIST_APPEND(items, head, tail, &it[i]);
        }
        LIST_FOREACH_SAFE(items, i, n, head)
                if (i->v % 2 == 0)
                        LIST_REMOVE(items, head, tail, i);
        CHECK(head == &it[1] && tail == &it[3]);
        CHECK_INTEQ(sum(head), 1 + 2 * 3);
}

typedef enum Colour { RED, GREEN, BLUE, _COLOUR_MAX, _COLOUR_INVALID = -22 } Colour;
static const char *const colour_table[_COLOUR_MAX] = {
        [RED] = "red",
        [BLUE] = "blue",        /* GREEN left out: a hole */
};
DEFINE_PRIVATE_STRING_TABLE_LOOKUP(colour, Colour, _COLOUR_INVALID)

TEST(string_table) {
        CHECK_STREQ(colour_to_string(RED), "red");
        CHECK_STREQ(colour_to_string(BLUE), "blue");
        CHECK(colour_to_string(GREEN) == NULL);
        CHECK(colour_to_string(_COLOUR_MAX) == NULL);
        CHECK(colour_to_string((Colour) -1) == NULL);
        CHECK_INTEQ(colour_from_string("blue"), BLUE);
        CHECK_INTEQ(colour_from_string("green"), _COLOUR_INVALID);
        CHECK_INTEQ(colour_from_string(""), _COLOUR_INVALID);
        CHECK_INTEQ(colour_from_string(NULL), _COLOUR_INVALID);
}
