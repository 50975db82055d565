/*
 * fs_attrib.h — the attribution math of docs/attribution.md steps 1–3: which touches of
 * a person take part in one conversion, each model's weights over them, and
 * the integer credits (revenue cents, conversion millionths) that sum
 * exactly to the conversion's totals.
 *
 * Owns: the models' names, touch selection (lookback window, order, the
 * 100-touch cap) and the largest-remainder split into integer credits.
 * Called by: the worker's attribution planner (and the unit tests).
 * Never: does I/O, reads a clock, allocates, or knows about Redis, Kafka,
 * channels or days — the caller maps credits to touches' dimensions and
 * handles the "(direct)" case (docs/attribution.md step 4) when no touch is selected.
 *
 * Every function is pure and reentrant: it reads only its arguments.
 */
#ifndef FS_ATTRIB_H
#define FS_ATTRIB_H

#include <stddef.h>
#include <stdint.h>

#include "fs_err.h"

/** At most this many touches take part in one conversion (docs/attribution.md step 1). */
#define FS_ATTRIB_MAX_TOUCHES 100

/** One conversion expressed in conversion credits (millionths). */
#define FS_ATTRIB_CONVERSION_UNITS 1000000

/** The attribution models of docs/attribution.md step 2. */
typedef enum fs_model {
    FS_MODEL_FIRST_TOUCH,
    FS_MODEL_LAST_TOUCH,
    FS_MODEL_LINEAR,
    FS_MODEL_POSITION_BASED,
    FS_MODEL_TIME_DECAY,
    FS_MODEL_W_SHAPED,
    FS_MODEL__COUNT
} fs_model_t;

/**
 * The user-facing name of @p model ("first_touch", "last_touch", "linear",
 * "position_based", "time_decay", "w_shaped"); static storage, never NULL
 * ("unknown" for a value outside the enum).
 */
const char *fs_model_name(fs_model_t model);

/**
 * Parses a model name as printed by fs_model_name() (exact, case-sensitive).
 * @returns FS_OK and sets @p *out, or FS_ERR_INVALID (NULL or unknown
 *          @p s) leaving @p *out untouched.
 */
fs_err_t fs_model_parse(const char *s, fs_model_t *out) FS_WUR;

/** One `touch`-role event of the converting person, as attribution sees it. */
typedef struct fs_touch {
    int64_t occurred_at_ms; /**< epoch milliseconds, UTC */
    const char *event_id;   /**< borrowed; must outlive the call (NULL reads as "") */
    int is_lead;            /**< non-zero: the type carries the `lead` milestone */
    int is_opportunity;     /**< non-zero: the type carries the `opportunity` milestone */
} fs_touch_t;

/**
 * Selects the touches of docs/attribution.md step 1 for a conversion at @p conv_ms:
 * those of @p all[0..n-1] (any order) with
 * conv_ms - lookback_ms <= occurred_at_ms <= conv_ms (both edges included),
 * ordered by (occurred_at_ms, event_id) — event ids compared bytewise with
 * strcmp(); equal pairs keep their order in @p all — and, when more match,
 * only the FS_ATTRIB_MAX_TOUCHES latest in that order.
 *
 * @param all       borrowed, read only during the call; may be NULL when n == 0
 * @param out_idx   caller's array of at least FS_ATTRIB_MAX_TOUCHES entries;
 *                  receives indices into @p all, earliest touch first
 * @returns the number of indices written (0: the "(direct)" case; also 0
 *          when @p lookback_ms is negative).  Never fails, never allocates;
 *          cost O(n × FS_ATTRIB_MAX_TOUCHES) at worst.
 */
size_t fs_attrib_select(const fs_touch_t *all, size_t n, int64_t conv_ms,
                        int64_t lookback_ms, size_t *out_idx);

/**
 * Splits @p total units of one conversion over its selected touches
 * t[0..n-1] (ordered as fs_attrib_select() orders them) by @p model, per
 * docs/attribution.md step 3: touch i gets floor(total × w_i); the units left over go
 * one each to the touches with the largest remainders, ties to the earlier
 * touch.  The credits always sum exactly to @p total.
 *
 * Call it once with the revenue in cents and once with
 * FS_ATTRIB_CONVERSION_UNITS for the conversion credits.
 *
 * Every model but time_decay is computed exactly: its weights are rationals
 * num_i / den with one common denominator and 128-bit products, so any
 * @p total up to INT64_MAX is exact.  time_decay uses long double weights
 * 2^(-(T - t_i) / half_life), normalised to the latest touch (the common
 * factor cancels; this keeps tiny half-lives from underflowing to 0/0);
 * fractional parts of total × w_i that compare equal in long double are
 * ties and go to the earlier touch.  Only time_decay reads @p half_life_ms;
 * @p conv_ms (T) is not read at all, since every model's weights are
 * invariant under shifting T (it documents the call and keeps the
 * signature stable).
 *
 * @param t           borrowed, read only during the call
 * @param out_credit  caller's array of at least @p n entries; written only on FS_OK
 * @returns FS_OK, or FS_ERR_INVALID when @p model is unknown, n == 0 (the
 *          caller's "(direct)" case: everything goes to "(direct)"),
 *          n > FS_ATTRIB_MAX_TOUCHES, @p total < 0, a pointer is NULL, or
 *          time_decay gets @p half_life_ms <= 0.
 */
fs_err_t fs_attrib_credit(fs_model_t model, const fs_touch_t *t, size_t n,
                          int64_t conv_ms, int64_t half_life_ms, int64_t total,
                          int64_t *out_credit) FS_WUR;

#endif
