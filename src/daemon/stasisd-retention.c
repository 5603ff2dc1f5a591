/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-retention.c - expiry and policy retention: which sets go, which are in use, removing them */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "log.h"
#include "macro.h"
#include "stasisd-catalog-history.h"
#include "stasisd-clock.h"
#include "stasisd-policy.h"
#include "stasisd-retention-timeline.h"
#include "stasisd-retention.h"
#include "stasisd-set-open-views.h"
#include "stasisd-set-views.h"
#include "stasisd-strings.h"
#include "string-table.h"

static const char *const retention_action_table[_RETENTION_ACTION_MAX] = {
        [RETENTION_REMOVE]       = "removed",
        [RETENTION_WOULD_REMOVE] = "would-remove",
        [RETENTION_KEPT_IN_USE]  = "kept-in-use",
        [RETENTION_FAILED]       = "failed",
};

const char *retention_action_to_string(RetentionAction a) {
        return a >= 0 && a < _RETENTION_ACTION_MAX ? retention_action_table[a] : NULL;
}

/* One Cleanup (or expiry pass): its entries, and the removals it waits for. */
struct RetentionRun {
        Manager *manager;
        sd_bus_message *msg;    /* NULL: nobody waits */
        RetentionEntry *entries;
        size_t n_entries;
        unsigned pending;       /* removals started and not ended */
        retention_done_t done;  /* instead of an answer to msg */
        void *userdata;
};

static void run_free(RetentionRun *run) {
        if (!run)
                return;
        for (size_t i = 0; i < run->n_entries; i++) {
                if (run->entries[i].set)
                        run->entries[i].set->retention_run = NULL;
                free(run->entries[i].policy);
                free(run->entries[i].reason);
        }
        free(run->entries);
        sd_bus_message_unref(run->msg);
        free(run);
}

const char *retention_set_in_use(const Set *s, char *buf, size_t size) {
        assert(s);

        if (s->release_requested)
                snprintf(buf, size, "its removal waits for the end of a hold");
        else if (s->phase != SET_PHASE_IDLE || s->state == SET_CREATING || s->state == SET_DELETING)
                snprintf(buf, size, "it is being %s", s->state == SET_CREATING ? "made" : "removed");
        else if (s->view)
                snprintf(buf, size, "it is mounted at %s", s->view->root);
        else if (s->n_open_views > 0) {
                char views[384];
                snprintf(buf, size, "it has %s", set_open_views_describe(s, NULL, views, sizeof views));
        }
        else if (!s->persistent && s->requestor && s->completed == 0)
                snprintf(buf, size, "its backup is running: requestor %s has not reported it complete", s->requestor);
        else
                return NULL;
        return buf;
}

/* 1 if the entry was added, 0 past the bound (the set is still acted on). */
static int add_entry(RetentionRun *run, Set *s, const char *policy, RetentionAction action, const char *reason) {
        if (run->n_entries >= RETENTION_ENTRIES_MAX)
                return 0;
        RetentionEntry *nl = realloc(run->entries, (run->n_entries + 1) * sizeof(RetentionEntry));
        if (!nl)
                return -ENOMEM;
        run->entries = nl;
        RetentionEntry *e = &run->entries[run->n_entries];
        *e = (RetentionEntry) { .action = action };
        snprintf(e->id, sizeof e->id, "%s", s->id);
        e->policy = strdup(strempty(policy));
        e->reason = strdup(reason);
        if (!e->policy || !e->reason) {
                free(e->policy);
                free(e->reason);
                return -ENOMEM;
        }
        run->n_entries++;
        return 1;
}

/* Removes s for reason (or, dry, says it would); an entry either way. */
static int consider(RetentionRun *run, Set *s, const char *policy, const char *reason, bool dry_run) {
        Manager *m = run->manager;
        RetentionEntry *x = NULL;
        char why[512];
        int r;

        if (s->retention_run)
                return 0;       /* another run removes it already */
        if (retention_set_in_use(s, why, sizeof why)) {
                char msg[768];
                snprintf(msg, sizeof msg, "%s; kept for now: %s", reason, why);
                if (!dry_run)
                        log_info("Set %s: %s.", s->id, msg);
                return add_entry(run, s, policy, RETENTION_KEPT_IN_USE, msg);
        }
        if (dry_run)
                return add_entry(run, s, policy, RETENTION_WOULD_REMOVE, reason);

        log_info("Set %s: removing it: %s.", s->id, reason);
        r = catalog_add_removal(m->catalog, s->id_num, policy, clock_realtime(m->test_clock), reason, s->created,
                                s->label);
        if (r < 0)
                log_warning_errno(r, "Set %s: cannot record its removal in the catalog's history: %s", s->id,
                                  catalog_last_error(m->catalog));
        r = add_entry(run, s, policy, RETENTION_REMOVE, reason);
        if (r < 0)
                return r;
        if (r > 0)
                x = &run->entries[run->n_entries - 1];
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        r = set_delete(s, NULL, &e);
        if (r < 0) {
                log_error("Set %s: %s", s->id, e.message ?: "cannot start the removal");
                if (!x)
                        return 0;
                x->action = RETENTION_FAILED;
                free(x->reason);
                x->reason = strdup(e.message ?: "cannot start the removal");
                return x->reason ? 0 : -ENOMEM;
        }
        if (s->phase == SET_PHASE_DELETING) {
                /* Its worker runs: the answer waits for it. (Put off by a hold, it is not waited for.) */
                s->retention_run = run;
                if (x)
                        x->set = s;
                run->pending++;
        }
        return 0;
}

static int expire(RetentionRun *run, const char *policy, usec_t now, bool dry_run) {
        char ts[64], reason[128];
        int r;

        LIST_FOREACH_SAFE(sets, s, next, run->manager->sets) {
                if (s->expires == 0 || s->expires > now || s->state == SET_DELETING)
                        continue;
                if (!isempty(policy) && (!s->policy || !streq(s->policy, policy)))
                        continue;
                snprintf(reason, sizeof reason, "expired at %s", format_timestamp(ts, sizeof ts, s->expires, 0));
                r = consider(run, s, strempty(s->policy), reason, dry_run);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void describe_rules(const RetentionRules *r, char *buf, size_t size) {
        const struct {
                const char *key;
                unsigned n;
        } c[] = { { "KeepLast", r->keep_last }, { "Hourly", r->hourly }, { "Daily", r->daily },
                  { "Weekly", r->weekly }, { "Monthly", r->monthly }, { "Yearly", r->yearly } };
        size_t l = 0;

        buf[0] = 0;
        for (size_t i = 0; i < ELEMENTSOF(c) && l < size; i++)
                if (c[i].n > 0)
                        l += (size_t) snprintf(buf + l, size - l, "%s%s=%u", l ? ", " : "", c[i].key, c[i].n);
}

static int apply_policy(RetentionRun *run, const Policy *p, usec_t now, bool dry_run) {
        Manager *m = run->manager;
        const RetentionRules *rules = &p->rules;
        _cleanup_free_ usec_t *created = NULL;
        _cleanup_free_ unsigned *keep = NULL;
        _cleanup_free_ Set **sets = NULL;
        char desc[256], reason[384];
        size_t n = 0;
        int r;

        if (rules->keep_last == 0 && rules->hourly == 0 && rules->daily == 0 && rules->weekly == 0 &&
            rules->monthly == 0 && rules->yearly == 0)
                return 0;       /* no count: the policy keeps everything */

        created = calloc(MAX(m->n_sets, 1u), sizeof(usec_t));
        keep = calloc(MAX(m->n_sets, 1u), sizeof(unsigned));
        sets = calloc(MAX(m->n_sets, 1u), sizeof(Set *));
        if (!created || !keep || !sets)
                return -ENOMEM;
        /* Its sets in the order they were made (the manager's list is by id). */
        LIST_FOREACH(sets, s, m->sets)
                if (s->policy && streq(s->policy, p->name) && s->state != SET_DELETING && n < m->n_sets) {
                        sets[n] = s;
                        created[n++] = s->created;
                }
        retention_timeline(created, n, rules, now, keep);
        describe_rules(rules, desc, sizeof desc);
        for (size_t i = 0; i < n; i++) {
                if (keep[i] || sets[i]->state == SET_CREATING)
                        continue;
                char d[64] = "";
                if (rules->min_age)
                        format_duration(d, sizeof d, rules->min_age);
                snprintf(reason, sizeof reason, "policy %s: no rule keeps it (%s%s%s)", p->name, desc,
                         rules->min_age ? ", MinAge=" : "", d);
                r = consider(run, sets[i], p->name, reason, dry_run);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int reply(RetentionRun *run) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *rep = NULL;
        int r;

        if (!run->msg)
                return 0;
        r = sd_bus_message_new_method_return(run->msg, &rep);
        if (r >= 0)
                r = sd_bus_message_open_container(rep, 'a', "(ssss)");
        for (size_t i = 0; r >= 0 && i < run->n_entries; i++) {
                const RetentionEntry *e = &run->entries[i];
                const char *f[] = { e->id, e->policy, retention_action_to_string(e->action), e->reason };
                r = bus_append_string_struct(rep, "ssss", f, 4);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(rep);
        if (r < 0)
                return sd_bus_reply_method_errnof(run->msg, r, "Cannot answer Cleanup: %m");
        return sd_bus_send(NULL, rep, NULL);
}

static void run_done(RetentionRun *run) {
        if (run->done) {
                bool failed = false;
                for (size_t i = 0; i < run->n_entries; i++)
                        failed = failed || run->entries[i].action == RETENTION_FAILED;
                run->done(run->manager, failed, run->userdata);
        } else
                (void) reply(run);
        run_free(run);
}

int retention_remove_then(Manager *m, Set *s, const char *policy, const char *reason, retention_done_t done,
                          void *userdata) {
        RetentionRun *run = calloc(1, sizeof(RetentionRun));
        int r;

        if (!run)
                return -ENOMEM;
        *run = (RetentionRun) { .manager = m, .done = done, .userdata = userdata, .pending = 1 };
        r = consider(run, s, policy, reason, false);
        if (r < 0 || run->n_entries == 0 || run->entries[0].action != RETENTION_REMOVE) {
                if (s->retention_run == run)
                        s->retention_run = NULL;
                run_free(run);
                return r < 0 ? r : -EBUSY;
        }
        if (--run->pending == 0)
                run_done(run);
        return 0;
}

void retention_set_gone(Set *s, const char *error) {
        RetentionRun *run = s->retention_run;

        if (!run)
                return;
        s->retention_run = NULL;
        for (size_t i = 0; i < run->n_entries; i++)
                if (run->entries[i].set == s) {
                        run->entries[i].set = NULL;
                        if (error) {
                                char *x;
                                run->entries[i].action = RETENTION_FAILED;
                                if (asprintf(&x, "%s; removing it failed (stasisd retries): %s",
                                             run->entries[i].reason, error) >= 0) {
                                        free(run->entries[i].reason);
                                        run->entries[i].reason = x;
                                }
                        }
                }
        if (--run->pending == 0)
                run_done(run);
}

int retention_run(Manager *m, sd_bus_message *msg, const char *policy, bool dry_run, bool policies,
                  sd_bus_error *error) {
        RetentionRun *run;
        usec_t now = clock_realtime(m->test_clock);
        int r = 0;

        if (!isempty(policy) && !policies_find(m->policies, policy))
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "No policy '%s' in %s (stasisd --check-config lists the problems of the "
                                         "files it left out)", policy, strna(m->policies_dir));
        run = calloc(1, sizeof(RetentionRun));
        if (!run)
                return -ENOMEM;
        run->manager = m;
        run->msg = sd_bus_message_ref(msg);
        run->pending = 1;       /* this call's own, until every removal is started */

        r = expire(run, policy, now, dry_run);
        for (size_t i = 0; r >= 0 && policies && m->policies && i < m->policies->n; i++)
                if (isempty(policy) || streq(m->policies->list[i]->name, policy))
                        r = apply_policy(run, m->policies->list[i], now, dry_run);
        if (r < 0) {
                /* What was started goes on; the answer is the error. */
                run->msg = sd_bus_message_unref(run->msg);
                if (--run->pending == 0)
                        run_free(run);
                return sd_bus_error_set_errnof(error, r, "Applying retention failed: %m");
        }
        retention_arm(m);
        if (--run->pending == 0)
                run_done(run);
        return 1;
}

/* ---- the expiry timer ---- */

static int on_expiry(sd_event_source *es, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->expiry_timer = sd_event_source_disable_unref(m->expiry_timer);
        if (m->holding) {
                retention_arm(m);       /* nothing is removed while file systems are held */
                return 0;
        }
        /* Expiry only: the policies' counts are applied when asked (Cleanup). */
        (void) retention_run(m, NULL, NULL, false, false, NULL);
        return 0;
}

void retention_arm(Manager *m) {
        usec_t now = clock_realtime(m->test_clock), next = UINT64_MAX;
        char why[256];

        LIST_FOREACH(sets, s, m->sets) {
                if (s->expires == 0 || s->state == SET_DELETING)
                        continue;
                usec_t at = s->expires;
                if (at <= now)
                        /* Expired and still here: in use, or being made; look again later. */
                        at = now + (retention_set_in_use(s, why, sizeof why) ? RETENTION_RETRY_USEC : USEC_PER_SEC);
                next = MIN(next, at);
        }
        m->expiry_timer = sd_event_source_disable_unref(m->expiry_timer);
        if (next == UINT64_MAX)
                return;
        usec_t delay = MIN(next - MIN(next, now), (usec_t) RETENTION_CHECK_MAX_USEC);
        int r = sd_event_add_time_relative(m->event, &m->expiry_timer, CLOCK_BOOTTIME, delay, USEC_PER_SEC,
                                           on_expiry, m);
        if (r < 0)
                log_error_errno(r, "Cannot arm the expiry timer: %m");
}

void retention_free(Manager *m) {
        m->expiry_timer = sd_event_source_disable_unref(m->expiry_timer);
        policies_free(m->policies);
        m->policies = NULL;
        free(m->policies_dir);
        m->policies_dir = NULL;
        free(m->test_clock);
        m->test_clock = NULL;
}
