/*
 * fs_text.h — labels that come from events (channels, campaigns, touch
 * types...) made safe to show: in a terminal, in an aligned table, in a
 * CSV file a spreadsheet will open (docs/guarantees.md, "Output is safe to read").
 *
 * Owns nothing; pure, no global state, no locale: the same bytes give the
 * same output on every machine.  Called by the renderings of funnel-query
 * (query/report.c, query/attrib_report.c) and by its error messages
 * (query/cmd.c), which can quote Redis fields.  Decodes with fs_utf8.c.
 * Never used for JSON: a JSON string is escaped by its own rules and keeps
 * the exact label.
 *
 * What is escaped, each of its bytes written as a visible "\xHH"
 * (lower-case hex):
 *   - C0 controls U+0000–U+001F (ESC, BEL, TAB, CR, LF...) and DEL U+007F;
 *   - C1 controls U+0080–U+009F (U+009B is a one-character CSI to many
 *     terminals): "\xc2\x9b";
 *   - the bidirectional formatting characters (U+061C, U+200E, U+200F,
 *     U+202A–U+202E, U+2066–U+2069), which reorder the rest of a line
 *     and can make a table lie, and U+2028 / U+2029 (line separators);
 *   - every byte that does not start a well-formed UTF-8 character.
 * Everything else, backslashes included, is copied unchanged, so a plain
 * label reads the same in every format; the JSON output is the exact one.
 */
#ifndef FS_TEXT_H
#define FS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_err.h"

/**
 * Non-zero for the code points listed above (controls, bidi formatting,
 * line separators): what a JSON writer should also escape ("\u202e") to
 * keep them off a terminal.
 */
int fs_text_is_unsafe(uint32_t cp);

/**
 * Appends the @p n bytes at @p s to @p out with the characters above
 * escaped.  @p s may hold NUL bytes (escaped as "\x00").
 * @returns FS_OK or FS_ERR_NOMEM (@p out then holds a part).
 */
fs_err_t fs_text_escape(fs_buf_t *out, const char *s, size_t n) FS_WUR;

/**
 * The number of terminal columns that fs_text_escape() of the same bytes
 * takes: 4 per escaped byte, 2 for an East Asian wide or fullwidth
 * character or an emoji, 0 for a combining mark or zero-width joiner,
 * 1 for any other character.  This is wcwidth() without a locale, for
 * the characters labels use; terminals disagree on some emoji.
 */
size_t fs_text_width(const char *s, size_t n);

/**
 * Appends the @p n bytes at @p s as one CSV field that a spreadsheet
 * shows as text and never evaluates:
 *   1. escaped as by fs_text_escape(), so no control character (CR, LF
 *      and TAB included) is written raw;
 *   2. prefixed with a single quote when the label, after any leading
 *      spaces, starts with '=', '+', '-', '@', TAB or CR (the OWASP
 *      CSV-injection list): "'=HYPERLINK(...)";
 *   3. quoted per RFC 4180, quotes doubled, when it then holds a comma,
 *      a double quote, CR or LF.
 * Only for text: numbers a program formats itself ("-0.05") are written
 * as they are, so a spreadsheet still reads them as numbers.
 * @returns FS_OK or FS_ERR_NOMEM (@p out then holds a part).
 */
fs_err_t fs_text_csv_field(fs_buf_t *out, const char *s, size_t n) FS_WUR;

#endif
