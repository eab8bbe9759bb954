//! PostgreSQL search vectors assembled by the bulk importer, so that PostgreSQL does not parse
//! and stem every imported text again (`to_tsvector` over the abstracts was most of an
//! import's server time).
//!
//! A text is cut at ASCII whitespace into chunks. PostgreSQL's text search parser never carries
//! a token across whitespace (tags, which may hold spaces, are left out: a text with `<` is not
//! assembled), and after whitespace it is always in the same state, so
//! `to_tsvector('english', text)` is the chunks' own results one after the other, each chunk's
//! positions shifted by the positions the chunks before it used. Each distinct chunk is parsed
//! and looked up once, by PostgreSQL itself, with the `english` configuration's parser and
//! dictionaries and a space before it (the state it is parsed in inside a text: `~` or `.`
//! after a space is punctuation, at the very start of a text it may begin a file name, so a
//! text starting with either is not assembled) ([`Lexicon::learn`]). The stems, the stop words
//! and the token types are PostgreSQL's, never re-implemented here. A text this module cannot
//! vouch for (a tag, a very long word, positions near PostgreSQL's limits, a configuration
//! with more than one dictionary per token type) gets `None` and PostgreSQL computes its
//! vector as before. A probe text checks the whole scheme against `to_tsvector` before the
//! first use.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};

/// Where texts are cut (a space in any text search parser state but a tag's).
const SPACE: [char; 4] = [' ', '\t', '\n', '\r'];

/// Longest chunk in bytes: PostgreSQL drops words of 2,047 bytes and more (with a notice)
/// before looking them up, which a chunk's lookup would not show.
const LONGEST_CHUNK: usize = 2_000;

/// Highest position assembled: PostgreSQL clamps positions at 16,383.
const LAST_POSITION: u32 = 16_000;

/// Most positions of one lexeme assembled: PostgreSQL keeps at most 255.
const MOST_POSITIONS: usize = 250;

/// Most chunks kept: identifiers (NCJ and study numbers) are new chunks in every record, so a
/// long import forgets what it has seen (and looks up again what comes back) rather than grow
/// without bound (~150 bytes a chunk).
const MOST_CHUNKS: usize = 500_000;

/// Texts with hyphenated words, stop words, a host name, numbers, punctuation and repeated
/// words, checked against `to_tsvector` before the lexicon is used.
const PROBE: &str = "The co-use ~15 ... of U.S. data (2006-2010), e.g. 3.5 \"human\" trafficking\n\
    reports: NCJ216547 children's  rights;\tthe courts' - www.ojp.gov/nij -5 +7 a--b. Courts!";

/// What PostgreSQL makes of one chunk.
#[derive(Debug, Clone, Default, PartialEq)]
struct Chunk {
    /// Positions the chunk uses (one per token a dictionary took, stop words included).
    width: u32,
    /// Each lexeme with its position inside the chunk (from 1).
    lexemes: Vec<(u32, String)>,
}

/// Whether the lexicon may be used on this database.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Unchecked,
    Usable,
    Unusable,
}

/// The chunks seen so far with what PostgreSQL makes of them (`None`: a chunk not assembled).
#[derive(Debug)]
pub struct Lexicon {
    /// Hashed with foldhash: a text's chunks are looked up twice per import, SipHash was a
    /// tenth of the importer's own time.
    chunks: HashMap<String, Option<Chunk>, foldhash::fast::RandomState>,
    state: State,
    /// The lexemes of the chunks looked up, each once (cleared with the chunks).
    lexemes: HashSet<String, foldhash::fast::RandomState>,
    /// Those of them not yet taken by [`Lexicon::take_fresh`].
    fresh: Vec<String>,
}

impl Default for Lexicon {
    fn default() -> Self {
        Self {
            chunks: HashMap::default(),
            state: State::Unchecked,
            lexemes: HashSet::default(),
            fresh: Vec::new(),
        }
    }
}

/// The chunks of `text`, or `None` when the text holds a tag's `<` or starts with `~` or `.`
/// (which the parser reads differently at the start of a text than after a space).
fn chunks(text: &str) -> Option<impl Iterator<Item = &str>> {
    let assembled = !text.contains('<') && !text.starts_with(['~', '.']);
    assembled.then(|| text.split(SPACE).filter(|chunk| !chunk.is_empty()))
}

impl Lexicon {
    /// Looks up, on `conn`, every chunk of `texts` not seen yet. The first call also checks that
    /// the `english` configuration has one dictionary per token type and that the probe text
    /// assembles to PostgreSQL's own vector; if not, the lexicon stays unused.
    pub async fn learn<'a>(
        &mut self,
        conn: &impl ConnectionTrait,
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), DbErr> {
        if self.state == State::Unchecked {
            self.state = self.check(conn).await?;
        }
        if self.state == State::Unusable {
            return Ok(());
        }
        if self.chunks.len() > MOST_CHUNKS {
            self.chunks.clear();
            self.lexemes.clear();
        }
        let mut unknown: Vec<String> = Vec::new();
        for text in texts {
            for chunk in chunks(text).into_iter().flatten() {
                if !self.chunks.contains_key(chunk) {
                    // Not assembled until looked up (and if the lookup fails).
                    self.chunks.insert(chunk.to_owned(), None);
                    unknown.push(chunk.to_owned());
                }
            }
        }
        for part in unknown.chunks(20_000) {
            self.look_up(conn, part).await?;
        }
        Ok(())
    }

    /// Parses and looks up `chunks` with the `english` configuration.
    async fn look_up(
        &mut self,
        conn: &impl ConnectionTrait,
        chunks: &[String],
    ) -> Result<(), DbErr> {
        let sql = "SELECT n, k, lexemes IS NULL AS skipped, cardinality(lexemes) AS count, \
            lexemes[1] AS lexeme FROM (\
              SELECT c.n, p.k, ts_lexize(m.mapdict::regdictionary, p.token) AS lexemes \
              FROM unnest($1::text[]) WITH ORDINALITY AS c(chunk, n) \
              CROSS JOIN LATERAL ts_parse(\
                (SELECT cfgparser FROM pg_ts_config WHERE oid = 'english'::regconfig), ' ' || c.chunk\
              ) WITH ORDINALITY AS p(tokid, token, k) \
              LEFT JOIN pg_ts_config_map m \
                ON m.mapcfg = 'english'::regconfig AND m.maptokentype = p.tokid\
            ) t ORDER BY n, k";
        let statement = Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            [super::bulk::text_array(chunks.iter().map(String::as_str)).into()],
        );
        let mut found: Vec<Option<Chunk>> = chunks
            .iter()
            .map(|chunk| (chunk.len() <= LONGEST_CHUNK).then(Chunk::default))
            .collect();
        for row in conn.query_all_raw(statement).await? {
            let n: i64 = row.try_get("", "n")?;
            let Some(chunk) = found[(n - 1) as usize].as_mut() else {
                continue;
            };
            if row.try_get::<bool>("", "skipped")? {
                continue;
            }
            chunk.width += 1;
            match row.try_get::<Option<i32>>("", "count")?.unwrap_or(0) {
                0 => {}
                1 => {
                    let lexeme: String = row.try_get("", "lexeme")?;
                    if !self.lexemes.contains(&lexeme) {
                        self.lexemes.insert(lexeme.clone());
                        self.fresh.push(lexeme.clone());
                    }
                    chunk.lexemes.push((chunk.width, lexeme));
                }
                // Several lexemes at one position: not assembled.
                _ => found[(n - 1) as usize] = None,
            }
        }
        for (chunk, result) in chunks.iter().zip(found) {
            self.chunks.insert(chunk.clone(), result);
        }
        Ok(())
    }

    /// Whether the lexicon reproduces `to_tsvector('english', ...)` on this database.
    async fn check(&mut self, conn: &impl ConnectionTrait) -> Result<State, DbErr> {
        let sql = "SELECT (SELECT count(*) FROM pg_ts_config_map \
              WHERE mapcfg = 'english'::regconfig AND mapseqno > 1) AS extra, \
            CAST(to_tsvector('english', $1) AS TEXT) AS probe";
        let statement =
            Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, [PROBE.into()]);
        let Some(row) = conn.query_one_raw(statement).await? else {
            return Ok(State::Unusable);
        };
        let extra: i64 = row.try_get("", "extra")?;
        let probe: String = row.try_get("", "probe")?;
        if extra > 0 {
            return Ok(State::Unusable);
        }
        self.state = State::Usable;
        let probe_chunks: Vec<String> = chunks(PROBE)
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect();
        self.look_up(conn, &probe_chunks).await?;
        let assembled = self.vector(PROBE);
        Ok(
            if assembled.as_deref().map(canonical) == Some(canonical(&probe)) {
                State::Usable
            } else {
                tracing::warn!(
                    probe,
                    assembled,
                    "search vectors are left to PostgreSQL: the probe text assembles differently"
                );
                self.chunks.clear();
                State::Unusable
            },
        )
    }

    /// The lexemes of the chunks looked up since the last call, each once: what the vectors
    /// assembled since then may hold that the database's list of lexemes may not
    /// ([`crate::db::search::note_lexemes`]).
    pub fn take_fresh(&mut self) -> Vec<String> {
        std::mem::take(&mut self.fresh)
    }

    /// `to_tsvector('english', text)` as `tsvector` text, when every chunk of `text` is known
    /// and assembled; else `None` (PostgreSQL computes it).
    pub fn vector(&self, text: &str) -> Option<String> {
        if self.state != State::Usable {
            return None;
        }
        // Every (lexeme, position), then sorted: each lexeme's positions in order.
        let mut entries: Vec<(&str, u32)> = Vec::new();
        let mut used = 0u32;
        for chunk in chunks(text)? {
            let chunk = self.chunks.get(chunk)?.as_ref()?;
            entries.extend(chunk.lexemes.iter().map(|(at, l)| (l.as_str(), used + at)));
            used += chunk.width;
            if used > LAST_POSITION {
                return None;
            }
        }
        entries.sort_unstable();
        let mut out = String::with_capacity(text.len() + text.len() / 2);
        let mut previous: Option<&str> = None;
        let mut count = 0;
        for (lexeme, position) in entries {
            if previous == Some(lexeme) {
                count += 1;
                if count > MOST_POSITIONS {
                    return None;
                }
                let _ = write!(out, ",{position}");
                continue;
            }
            if previous.is_some() {
                out.push(' ');
            }
            previous = Some(lexeme);
            count = 1;
            out.push('\'');
            for c in lexeme.chars() {
                match c {
                    '\'' => out.push_str("''"),
                    '\\' => out.push_str("\\\\"),
                    c => out.push(c),
                }
            }
            let _ = write!(out, "':{position}");
        }
        Some(out)
    }
}

/// A `tsvector` text with its lexemes in one order (PostgreSQL sorts by length first).
fn canonical(vector: &str) -> Vec<String> {
    let mut lexemes: Vec<String> = vector.split(' ').map(str::to_owned).collect();
    lexemes.sort_unstable();
    lexemes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_cut_at_ascii_whitespace_and_tags_are_left_out() {
        let cut: Vec<&str> = chunks(" a  b\tc\nd\re ").unwrap().collect();
        assert_eq!(cut, ["a", "b", "c", "d", "e"]);
        assert!(chunks("a <b>c</b>").is_none());
        assert!(chunks("~user").is_none() && chunks(".profile").is_none());
        assert!(chunks("a ~user .profile").is_some());
    }

    #[test]
    fn vectors_shift_positions_by_the_chunks_before() {
        let mut lexicon = Lexicon {
            state: State::Usable,
            ..Lexicon::default()
        };
        let word = |lexeme: &str| {
            Some(Chunk {
                width: 1,
                lexemes: vec![(1, lexeme.to_owned())],
            })
        };
        lexicon.chunks.insert(
            "The".into(),
            Some(Chunk {
                width: 1,
                lexemes: vec![],
            }),
        );
        lexicon.chunks.insert(
            "co-use".into(),
            Some(Chunk {
                width: 3,
                lexemes: vec![(1, "co-us".into()), (2, "co".into()), (3, "use".into())],
            }),
        );
        lexicon.chunks.insert("use".into(), word("use"));
        lexicon.chunks.insert("it's".into(), word("it'"));
        assert_eq!(
            lexicon.vector("The co-use use\nit's").as_deref(),
            Some("'co':3 'co-us':2 'it''':6 'use':4,5")
        );
        assert_eq!(lexicon.vector("").as_deref(), Some(""));
        assert_eq!(lexicon.vector("unknown use"), None);
        lexicon.chunks.insert("long".into(), None);
        assert_eq!(lexicon.vector("use long"), None);
        let many = vec!["use"; MOST_POSITIONS + 1].join(" ");
        assert_eq!(lexicon.vector(&many), None);
    }
}
