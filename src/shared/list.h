/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* list.h - intrusive doubly linked lists with a head and a tail, in the spirit of systemd's list.h */
#pragma once

#include <assert.h>
#include <stddef.h>

/* In the item: "LIST_FIELDS(Set, sets);" gives sets_next and sets_prev. The
 * list itself is two pointers kept by its owner, head and tail, both NULL
 * when it is empty; every operation is O(1). An item is on at most one list
 * of a given name at a time. */
#define LIST_FIELDS(t, name) t *name##_next, *name##_prev

#define LIST_APPEND(name, head, tail, item)                                     \
        do {                                                                    \
                __typeof__(*(item)) *_item = (item);                            \
                assert(_item);                                                  \
                _item->name##_next = NULL;                                      \
                _item->name##_prev = (tail);                                    \
                if (tail)                                                       \
                        (tail)->name##_next = _item;                            \
                else                                                            \
                        (head) = _item;                                         \
                (tail) = _item;                                                 \
        } while (0)

#define LIST_PREPEND(name, head, tail, item)                                    \
        do {                                                                    \
                __typeof__(*(item)) *_item = (item);                            \
                assert(_item);                                                  \
                _item->name##_prev = NULL;                                      \
                _item->name##_next = (head);                                    \
                if (head)                                                       \
                        (head)->name##_prev = _item;                            \
                else                                                            \
                        (tail) = _item;                                         \
                (head) = _item;                                                 \
        } while (0)

/* The item must be on this list. */
#define LIST_REMOVE(name, head, tail, item)                                     \
        do {                                                                    \
                __typeof__(*(item)) *_item = (item);                            \
                assert(_item);                                                  \
                if (_item->name##_prev)                                         \
                        _item->name##_prev->name##_next = _item->name##_next;   \
                else {                                                          \
                        assert((head) == _item);                                \
                        (head) = _item->name##_next;                            \
                }                                                               \
                if (_item->name##_next)                                         \
                        _item->name##_next->name##_prev = _item->name##_prev;   \
                else {                                                          \
                        assert((tail) == _item);                                \
                        (tail) = _item->name##_prev;                            \
                }                                                               \
                _item->name##_next = _item->name##_prev = NULL;                 \
        } while (0)

/* Removes the first item and evaluates to it, or to NULL if empty. */
#define LIST_POP(name, head, tail)                                              \
        ({                                                                      \
                __typeof__(head) _first = (head);                               \
                if (_first)                                                     \
                        LIST_REMOVE(name, head, tail, _first);                  \
                _first;                                                         \
        })

/* Whether item is on a list of this name, given the list's head. */
#define LIST_LINKED(name, head, item) ((item)->name##_prev || (head) == (item))

#define LIST_FOREACH(name, i, head) for (__typeof__(head) i = (head); i; i = i->name##_next)

/* i may be removed (and freed) in the body. */
#define LIST_FOREACH_SAFE(name, i, n, head)                                                     \
        for (__typeof__(head) i = (head), n = i ? i->name##_next : NULL; i;                     \
             i = n, n = i ? i->name##_next : NULL)
