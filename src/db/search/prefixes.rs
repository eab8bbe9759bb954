//! PostgreSQL: the lexemes a search's prefix words stand for, from the list of every lexeme the
//! search vectors hold (`search_lexeme`, kept by whatever writes a vector: see
//! [`super::note_lexemes`]). A word is written as its lexemes only when PostgreSQL reads it as
//! one prefix (`trafficking` as `'traffick':*`) and few lexemes start with it; otherwise it
//! stays a prefix.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

use crate::db::sql::Sql;

/// Most lexemes one prefix word is written as; a word that more lexemes start with stays a
/// prefix (an index finds a long list of lexemes no faster than the prefix).
pub const MOST_LEXEMES: usize = 16;

/// The lexemes each of `words` stands for as a prefix (`to_tsquery('english', 'word:*')`), by
/// word; a word left out stays a prefix. Empty on SQLite, whose index finds prefixes itself.
pub async fn lexemes_of_prefixes(
    conn: &impl ConnectionTrait,
    words: &[String],
) -> Result<HashMap<String, Vec<String>>, DbErr> {
    let backend = conn.get_database_backend();
    if backend != DatabaseBackend::Postgres || words.is_empty() {
        return Ok(HashMap::new());
    }
    // Each word's prefix as `to_tsquery` reads it, its one lexeme when that is all it reads,
    // and the lexemes that start with that lexeme (one more than the most taken, to tell): in
    // byte order they run from the lexeme itself to just before it followed by U+10FFFF, a
    // character PostgreSQL's parser never puts in a word (a range the index walks; testing
    // `starts_with` on each lexeme after it would walk to the end of the list).
    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT u.w, CAST(to_tsquery('english', u.w || ':*') AS TEXT) AS prefix, s.stem, \
           to_json(ARRAY(SELECT l.lexeme FROM search_lexeme l \
                 WHERE l.lexeme >= s.stem AND l.lexeme < s.stem || chr(1114111) \
                 ORDER BY l.lexeme LIMIT ",
    )
    .push(&(MOST_LEXEMES + 1).to_string())
    .push(
        ")) AS lexemes \
         FROM unnest(",
    )
    .bind_text_array(words.iter().map(String::as_str))
    .push(
        ") AS u(w) CROSS JOIN LATERAL (SELECT CASE WHEN length(v) = 1 \
           THEN (tsvector_to_array(v))[1] END AS stem FROM to_tsvector('english', u.w) AS v) s \
         WHERE s.stem IS NOT NULL",
    );
    let mut found = HashMap::new();
    for row in conn.query_all_raw(sql.build()).await? {
        let word: String = row.try_get("", "w")?;
        let prefix: String = row.try_get("", "prefix")?;
        let stem: String = row.try_get("", "stem")?;
        let lexemes: serde_json::Value = row.try_get("", "lexemes")?;
        let lexemes: Vec<String> = serde_json::from_value(lexemes)
            .map_err(|err| DbErr::Type(format!("search_lexeme: {err}")))?;
        if let Some(lexemes) = expansion(&prefix, stem, lexemes) {
            found.insert(word, lexemes);
        }
    }
    Ok(found)
}

/// The lexemes a word stands for, given how `to_tsquery` reads it as a prefix (`prefix`), its
/// one lexeme (`stem`) and the listed lexemes that start with it: `None` when it reads as
/// anything but `'stem':*`, or when too many lexemes start with it. A stem no lexeme starts
/// with stands for itself, which no row holds.
fn expansion(prefix: &str, stem: String, lexemes: Vec<String>) -> Option<Vec<String>> {
    let quoted = format!("'{}':*", stem.replace('\\', "\\\\").replace('\'', "''"));
    if prefix != quoted || lexemes.len() > MOST_LEXEMES {
        return None;
    }
    Some(if lexemes.is_empty() {
        vec![stem]
    } else {
        lexemes
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_single_prefixes_with_few_lexemes_are_written_out() {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            expansion(
                "'traffick':*",
                "traffick".into(),
                owned(&["traffick", "trafficker"])
            ),
            Some(owned(&["traffick", "trafficker"]))
        );
        assert_eq!(
            expansion("'zyx':*", "zyx".into(), vec![]),
            Some(owned(&["zyx"])),
            "no lexeme: the stem itself, which matches nothing"
        );
        assert_eq!(
            expansion("'a':* & 'b':*", "a".into(), owned(&["a"])),
            None,
            "read as more than one prefix"
        );
        let many: Vec<String> = (0..=MOST_LEXEMES).map(|i| format!("s{i}")).collect();
        assert_eq!(expansion("'s':*", "s".into(), many), None);
        assert_eq!(
            expansion("'o''b':*", "o'b".into(), owned(&["o'b"])),
            Some(owned(&["o'b"]))
        );
    }
}
