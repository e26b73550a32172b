//! Full-text search over `message_index`, the FTS5 index that triggers keep
//! in step with `messages` (migration 0005): what a person typed as a safe
//! FTS5 query, the viewer's window of each conversation, ranking, and
//! snippets cut into plain segments.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use rusqlite::{Connection, params};

use super::conversations::{MESSAGE_COLUMNS, fill_in, load, message_row};
use crate::store::{Found, SearchPage, SearchQuery, Segment, StoreResult, UserId, timestamp};

/// Results are ranked among the newest this many matches the viewer may
/// read. A common word matches a large part of a big server's messages;
/// scoring them all would make every search as slow as the largest, and
/// in a chat the newest matches are the ones most often looked for.
const RANK_WINDOW: u32 = 1000;

/// Words of context a snippet holds around what matched.
const SNIPPET_WORDS: i32 = 24;

/// Where a hit starts and ends in FTS5's snippets: Unicode noncharacters,
/// which are set aside for a program's internal use, so that no marker
/// meant as text is met in a message written by a person (one who pastes
/// them in gets a highlight in the wrong place, nothing worse: the
/// segments are text for the pages).
const HIT_START: char = '\u{FDD0}';
const HIT_END: char = '\u{FDD1}';

/// What a person typed as an FTS5 query: each word (run of non-space)
/// quoted, so nothing they type is syntax, all of them required; the last
/// one, if two characters or more, as a prefix, so that results come while
/// it is typed (one letter would match too much to be of use). Words with
/// no letter or digit are left out: the index has no tokens for them.
/// `None` when nothing is left to search for.
fn match_expression(text: &str) -> Option<String> {
    // Control characters separate words too: FTS5 would read a NUL as the
    // end of the query, in the middle of a quoted word.
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .collect();
    let last = words.len().checked_sub(1)?;
    let phrases: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, word)| {
            let quoted = format!("\"{}\"", word.replace('"', "\"\""));
            if i == last && word.chars().count() > 1 {
                quoted + "*"
            } else {
                quoted
            }
        })
        .collect();
    Some(phrases.join(" "))
}

/// The words within the text and file names, narrowed by the query's
/// conversation, sender, kind and months through the index's tags
/// (migration 0005), which are quoted like the words: an id may be
/// negative.
fn narrowed(words: &str, query: &SearchQuery) -> String {
    let mut expression = words.to_owned();
    let tags = [
        query.conversation.map(|id| format!("\"c{id}\"")),
        query.sender.map(|id| format!("\"u{id}\"")),
        (query.has_file == Some(true)).then(|| "\"file\"".to_owned()),
        months(query.after, query.before).map(|months| format!("({})", months.join(" OR "))),
    ];
    for tag in tags.into_iter().flatten() {
        expression = format!("{expression} AND tags : {tag}");
    }
    if query.has_file == Some(false) {
        expression = format!("({expression}) NOT tags : \"file\"");
    }
    expression
}

/// The most months a time range may touch for the index to narrow by
/// them: each is one more list for the index to merge, and a wider range
/// holds so much that narrowing gains little.
const MAX_MONTHS: usize = 24;

/// The months a closed time range touches, as the index's tags
/// (`"m202603"`), if they are few enough. A range open at one end is not
/// narrowed, as it may touch any number of months: one from a time on
/// meets its matches first anyway, the newest first; one up to a time
/// reads past the newer matches to reach its own. The exact times are
/// checked on each message found.
fn months(after: Option<DateTime<Utc>>, before: Option<DateTime<Utc>>) -> Option<Vec<String>> {
    let (after, before) = (after?, before?);
    // The last moment in the range; none before the earliest time there is.
    let last = before.checked_sub_signed(TimeDelta::microseconds(1))?;
    // An empty range needs no narrowing: the times checked find nothing.
    if last < after {
        return None;
    }
    let end = (last.year(), last.month());
    let mut month = (after.year(), after.month());
    let mut tags = Vec::new();
    while month <= end {
        if tags.len() == MAX_MONTHS {
            return None;
        }
        tags.push(format!("\"m{:04}{:02}\"", month.0, month.1));
        month = if month.1 == 12 {
            (month.0 + 1, 1)
        } else {
            (month.0, month.1 + 1)
        };
    }
    Some(tags)
}

pub fn search(conn: &Connection, viewer: UserId, query: &SearchQuery) -> StoreResult<SearchPage> {
    let Some(words) = match_expression(&query.text) else {
        return Ok(SearchPage::default());
    };
    // The words are looked for in the text and file names only, never in
    // the tags.
    let expression = narrowed(&format!("{{content file_name}} : ({words})"), query);
    // One more than asked for tells whether there are more.
    let wanted = query.limit.saturating_add(1);
    // One snapshot for the ranking, the snippets and the conversations, so
    // that a message deleted meanwhile is in none or all of them.
    let conn = conn.unchecked_transaction()?;
    // The newest matches within the viewer's window of each conversation,
    // in the index's own order (newest first, so the scan stops at the
    // window's end); then the best of those. CROSS JOIN keeps the index
    // the outer loop: starting from the viewer's conversations would read
    // every message in them. The tags weigh nothing in the ranking.
    let mut ranked: Vec<i64> = conn
        .prepare_cached(
            "WITH recent AS MATERIALIZED (
                 SELECT m.id AS id, bm25(message_index, 1.0, 1.0, 0.0) AS score
                 FROM message_index
                 CROSS JOIN messages m ON m.id = message_index.rowid
                 CROSS JOIN conversation_members cm
                     ON cm.conversation_id = m.conversation_id AND cm.user_id = ?1
                 WHERE message_index MATCH ?2
                   AND m.id > cm.history_from
                   AND (cm.history_to IS NULL OR m.id <= cm.history_to)
                   AND (?3 IS NULL OR m.created_at >= ?3)
                   AND (?4 IS NULL OR m.created_at < ?4)
                 ORDER BY message_index.rowid DESC
                 LIMIT ?5
             )
             SELECT id FROM recent ORDER BY score, id DESC LIMIT ?6 OFFSET ?7",
        )?
        .query_map(
            params![
                viewer,
                expression,
                query.after.map(timestamp),
                query.before.map(timestamp),
                RANK_WINDOW,
                wanted,
                query.offset,
            ],
            |row| row.get(0),
        )?
        .collect::<Result<_, _>>()?;
    let more = ranked.len() > query.limit as usize;
    ranked.truncate(query.limit as usize);
    let mut found = found(&conn, &expression, &ranked)?;
    let mut page = SearchPage {
        more,
        ..SearchPage::default()
    };
    let mut conversations = HashMap::new();
    for found in ranked.iter().filter_map(|id| found.remove(id)) {
        let conversation = found.message.conversation_id;
        if !conversations.contains_key(&conversation)
            && let Some(loaded) = load(&conn, conversation)?
        {
            conversations.insert(conversation, loaded);
        }
        page.results.push(found);
    }
    page.conversations = conversations.into_values().collect();
    // Replies, mentions and reactions, as history shows them.
    fill_in(
        &conn,
        &mut page
            .results
            .iter_mut()
            .map(|found| &mut found.message)
            .collect::<Vec<_>>(),
    )?;
    Ok(page)
}

/// The messages the search ranked, with their snippets, by id. A snippet
/// needs the query again; one query for them all, over the range of ids
/// they span, as each query of a word's beginning first gathers every word
/// it begins (all of "that", for `that`) and that is done once so. The
/// snippet is of the text, or of a file's name: not of the column with
/// the most hits, which might be the tags.
fn found(conn: &Connection, expression: &str, ids: &[i64]) -> StoreResult<HashMap<i64, Found>> {
    let (Some(first), Some(last)) = (ids.iter().min(), ids.iter().max()) else {
        return Ok(HashMap::new());
    };
    let ids = format!(
        "[{}]",
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    );
    // The snippet follows the message's columns.
    let snippet_column = MESSAGE_COLUMNS.split(',').count();
    let start = HIT_START.to_string();
    let end = HIT_END.to_string();
    // `+` keeps the id list a check on each row: as a constraint given to
    // the index it would run the query once per id.
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS},
                snippet(message_index, IIF(m.kind = 'file', 1, 0), ?5, ?6, '…', ?7)
         FROM message_index CROSS JOIN messages m ON m.id = message_index.rowid
         WHERE message_index MATCH ?1
           AND message_index.rowid BETWEEN ?2 AND ?3
           AND +message_index.rowid IN (SELECT value FROM json_each(?4))"
    ))?;
    let found = statement
        .query_map(
            params![expression, first, last, ids, start, end, SNIPPET_WORDS],
            |row| {
                let snippet: String = row.get(snippet_column)?;
                Ok(Found {
                    message: message_row(row)?,
                    snippet: segments(&snippet),
                })
            },
        )?
        .map(|found| found.map(|found| (found.message.id, found)))
        .collect::<Result<_, _>>()?;
    Ok(found)
}

/// A snippet with its hits marked, as segments: no empty ones, and never
/// two of a kind in a row.
fn segments(marked: &str) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut hit = false;
    let mut rest = marked;
    loop {
        let cut = rest.find([HIT_START, HIT_END]).unwrap_or(rest.len());
        let text = &rest[..cut];
        if !text.is_empty() {
            match segments.last_mut() {
                Some(last) if last.hit == hit => last.text.push_str(text),
                _ => segments.push(Segment {
                    text: text.to_owned(),
                    hit,
                }),
            }
        }
        let Some(marker) = rest[cut..].chars().next() else {
            return segments;
        };
        hit = marker == HIT_START;
        rest = &rest[cut + marker.len_utf8()..];
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::db::changes;

    fn segment(text: &str, hit: bool) -> Segment {
        Segment {
            text: text.into(),
            hit,
        }
    }

    #[test]
    fn every_word_is_quoted_and_the_last_is_a_prefix() {
        assert_eq!(
            match_expression("budget meet").as_deref(),
            Some(r#""budget" "meet"*"#)
        );
        assert_eq!(
            match_expression(r#"say "NEAR(a b)" -x OR y*"#).as_deref(),
            Some(r#""say" """NEAR(a" "b)""" "-x" "OR" "y*"*"#)
        );
    }

    #[test]
    fn a_last_word_of_one_letter_is_a_whole_word() {
        assert_eq!(match_expression("plan b").as_deref(), Some(r#""plan" "b""#));
    }

    #[test]
    fn text_without_letters_or_digits_searches_for_nothing() {
        assert_eq!(match_expression("  * \" ( ) - "), None);
        assert_eq!(match_expression(""), None);
        assert_eq!(match_expression("* ok").as_deref(), Some(r#""ok"*"#));
    }

    fn at(text: &str) -> Option<DateTime<Utc>> {
        crate::store::parse_timestamp(text)
    }

    #[test]
    fn a_closed_time_range_narrows_to_the_months_it_touches() {
        let touched = |after, before| months(at(after), at(before));

        assert_eq!(
            touched("2025-11-20T00:00:00Z", "2026-02-01T00:00:00Z"),
            Some(vec![
                r#""m202511""#.to_owned(),
                r#""m202512""#.to_owned(),
                r#""m202601""#.to_owned()
            ])
        );
        assert_eq!(
            touched("2026-03-01T00:00:00Z", "2026-03-01T00:00:00.000001Z"),
            Some(vec![r#""m202603""#.to_owned()])
        );
        assert_eq!(
            touched("2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z"),
            None
        );
        assert_eq!(
            touched("2020-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
            None
        );
        assert_eq!(
            touched("2020-01-01T00:00:00Z", "2022-01-01T00:00:00Z").map(|m| m.len()),
            Some(24)
        );
        assert_eq!(
            months(None, at("2026-01-01T00:00:00Z")),
            None,
            "open ranges"
        );
        let (earliest, latest) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        assert_eq!(months(Some(earliest), Some(earliest)), None);
        assert_eq!(months(Some(earliest), Some(latest)), None);
        assert_eq!(months(Some(latest), Some(latest)), None);
    }

    #[test]
    fn snippets_become_segments_of_text_and_hits() {
        let marked = format!("…the {HIT_START}budget{HIT_END} for {HIT_START}May{HIT_END}");
        assert_eq!(
            segments(&marked),
            vec![
                segment("…the ", false),
                segment("budget", true),
                segment(" for ", false),
                segment("May", true),
            ]
        );
        let adjacent = format!("{HIT_START}a{HIT_END}{HIT_START}b{HIT_END} c");
        assert_eq!(
            segments(&adjacent),
            vec![segment("ab", true), segment(" c", false)]
        );
        assert_eq!(segments(""), Vec::new());
    }

    /// A database with one member of General and a message holding FTS5's
    /// syntax.
    fn indexed() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrate(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'a', 'h', 't');
             INSERT INTO conversation_members (conversation_id, user_id, joined_at)
                 SELECT id, 1, 't' FROM conversations;
             INSERT INTO messages (conversation_id, sender_id, kind, content, created_at)
                 SELECT id, 1, 'text', 'NEAR(a b) AND \"x\" OR -y * z: {c}', 't' FROM conversations;",
        )
        .unwrap();
        conn
    }

    /// FTS5's own check, against the view the index is made from.
    fn assert_index_matches_messages(conn: &Connection) {
        conn.execute(
            "INSERT INTO message_index (message_index, rank) VALUES ('integrity-check', 1)",
            [],
        )
        .expect("the index holds exactly the messages' words");
    }

    fn count(conn: &Connection, words: &str) -> i64 {
        conn.query_row(
            "SELECT COUNT(*) FROM message_index WHERE message_index MATCH ?1",
            [words],
            |row| row.get(0),
        )
        .unwrap()
    }

    #[test]
    fn the_index_follows_every_change_to_a_message() {
        let conn = indexed();
        conn.execute_batch(
            "INSERT INTO messages (conversation_id, sender_id, kind, file_path, file_name, created_at)
                 VALUES (1, 1, 'file', 'static/files/1_ab_plan.pdf', 'plan.pdf', 't');
             INSERT INTO messages (conversation_id, sender_id, kind, content, created_at)
                 VALUES (1, 1, 'text', 'short lived', 't');",
        )
        .unwrap();
        assert_index_matches_messages(&conn);
        assert_eq!(count(&conn, "plan AND tags : file"), 1);

        changes::edit(&conn, 1, 1, "fresh words", crate::store::now()).unwrap();
        changes::delete(&conn, 1, None, 2, crate::store::now()).unwrap();
        conn.execute("DELETE FROM messages WHERE id = 3", [])
            .unwrap();

        assert_index_matches_messages(&conn);
        assert_eq!(count(&conn, "fresh"), 1);
        assert_eq!(count(&conn, "near OR plan OR short"), 0);
    }

    #[test]
    fn an_existing_database_gets_its_index_and_former_members_their_end() {
        let mut conn = Connection::open_in_memory().unwrap();
        // As it was before search: the first three migrations, a message,
        // a member who left, and a message after they left.
        for sql in &super::super::MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute_batch(
            "INSERT INTO users (id, username, password_hash, created_at)
                 VALUES (1, 'alice', 'h', 't'), (2, 'bob', 'h', 't');
             INSERT INTO conversation_members (conversation_id, user_id, joined_at)
                 VALUES (1, 1, 't'), (1, 2, 't');
             INSERT INTO messages (id, conversation_id, sender_id, kind, content, created_at)
                 VALUES (1, 1, 1, 'text', 'hello old world', '2026-01-05T10:00:00.000000Z');
             INSERT INTO messages (id, conversation_id, sender_id, kind, notice, created_at)
                 VALUES (2, 1, 2, 'notice', '{\"action\":\"left\"}', '2026-01-05T11:00:00.000000Z');
             INSERT INTO messages (id, conversation_id, sender_id, kind, content, created_at)
                 VALUES (3, 1, 1, 'text', 'brave new world', '2026-01-05T12:00:00.000000Z');
             INSERT INTO events (seq, conversation_id, kind, message_id, created_at)
                 VALUES (1, 1, 'posted', 1, 't'), (2, 1, 'posted', 2, 't'), (3, 1, 'posted', 3, 't');
             UPDATE conversation_members SET left_seq = 2 WHERE user_id = 2;",
        )
        .unwrap();

        super::super::migrate(&mut conn).unwrap();

        assert_index_matches_messages(&conn);
        let found = |viewer| {
            let query = SearchQuery {
                text: "world".into(),
                limit: 20,
                ..SearchQuery::default()
            };
            let page = search(&conn, viewer, &query).unwrap();
            page.results
                .iter()
                .map(|found| found.message.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(found(1), [3, 1]);
        assert_eq!(found(2), [1], "what came after they left is not theirs");
    }

    /// Pieces that mean something to FTS5, and any characters.
    fn typed() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            prop::sample::select(vec![
                "\"", "*", "(", ")", "-", "+", "^", ":", "{", "}", "NEAR", "AND", "OR", "NOT", ",",
                " ", "a", "b", "x", "\u{FDD0}",
            ])
            .prop_map(str::to_owned),
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn whatever_is_typed_is_a_query_fts5_runs(text in typed()) {
            let conn = indexed();
            let query = SearchQuery { text, limit: 20, ..SearchQuery::default() };
            let page = search(&conn, 1, &query);
            prop_assert!(page.is_ok(), "{page:?}");
        }
    }
}
