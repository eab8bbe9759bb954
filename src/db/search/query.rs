//! The search syntax: words, "quoted phrases", `OR` between alternatives, `-excluded` words,
//! parsed once and rendered for SQLite FTS5 `MATCH` or PostgreSQL `to_tsquery`. Words match by
//! stem and as prefixes; common words are left out on both backends.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use sea_orm::DatabaseBackend;

/// One thing to find: a word or a phrase, as lowercase alphanumeric tokens.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    Word(String),
    Phrase(Vec<String>),
}

/// A parsed search: every group must match (a group matches when any of its terms does), and
/// no excluded term may.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SearchQuery {
    groups: Vec<Vec<Term>>,
    excluded: Vec<Term>,
    /// PostgreSQL: the lexemes some of its prefix words stand for ([`super::prefixes`]).
    expansions: Expansions,
}

/// The lexemes prefix words stand for, by word (as typed, lowercased): a word `w` that
/// PostgreSQL reads as the prefix `'s':*` matches the rows whose vectors hold one of these
/// lexemes, every lexeme that starts with `s` (or, when none does, `s` itself, which no row
/// holds). They say how to find the search's rows, not which rows it finds: two searches
/// that differ only in them are the same search (equal, same hash: a cursor of one is a
/// cursor of the other).
#[derive(Clone, Debug, Default)]
pub struct Expansions(Option<Arc<HashMap<String, Vec<String>>>>);

impl PartialEq for Expansions {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Expansions {}

impl Hash for Expansions {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

/// Whether a search leaves `token` (lowercase) out: NLTK's English stop words, which hold every
/// word PostgreSQL's `english` configuration leaves out of its vectors. Ignoring them on SQLite
/// too gives both backends the same answers: FTS5 indexes them, and "the" would otherwise find
/// nearly every record there (and, as a prefix, "theft" and "theory") and nothing on PostgreSQL.
pub fn is_stop_word(token: &str) -> bool {
    static WORDS: LazyLock<HashSet<&'static str>> =
        LazyLock::new(|| stop_words::get("en").iter().copied().collect());
    WORDS.contains(token)
}

impl Term {
    /// The term without its stop words ([`is_stop_word`]); `None` when nothing is left. A
    /// phrase loses those at its ends and keeps those inside it: PostgreSQL counts them as gaps
    /// ("police and courts" finds "police, the courts" there), SQLite as the words themselves.
    fn without_stop_words(self) -> Option<Self> {
        match self {
            Term::Word(word) => (!is_stop_word(&word)).then_some(Term::Word(word)),
            Term::Phrase(words) => {
                let first = words.iter().position(|w| !is_stop_word(w))?;
                let last = words.iter().rposition(|w| !is_stop_word(w))?;
                Some(Term::Phrase(words[first..=last].to_vec()))
            }
        }
    }
}

fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(lowercase_as_indexed)
        .collect()
}

/// A word lowercased as the search indexes lowercase the text they store: one character at a
/// time. `str::to_lowercase` writes a word-final "Σ" as "ς" and "İ" as "i" with a combining
/// dot, so "ΟΔΟΣ" or "İstanbul" typed as the record spells them found nothing on PostgreSQL,
/// whose vectors hold "οδοσ" and "istanbul".
fn lowercase_as_indexed(word: &str) -> String {
    word.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

/// The longest search accepted, in characters.
pub const MAX_SEARCH_CHARS: usize = 1_000;

/// Most words and phrases one search may hold (excluded ones included): SQLite's query
/// parser refuses a few more than 90 exclusions, and no search needs that many.
pub const MAX_SEARCH_TERMS: usize = 32;

impl SearchQuery {
    /// Parses the user syntax; the error says why nothing could be searched.
    pub fn parse(input: &str) -> Result<Self, String> {
        let chars = input.chars().count();
        if chars > MAX_SEARCH_CHARS {
            return Err(format!(
                "the search is {chars} characters long; at most {MAX_SEARCH_CHARS} are allowed"
            ));
        }
        let parsed = Self::parse_terms(input)?;
        let terms = parsed.excluded.len() + parsed.groups.iter().map(Vec::len).sum::<usize>();
        if terms > MAX_SEARCH_TERMS {
            return Err(format!(
                "the search has {terms} words and phrases; at most {MAX_SEARCH_TERMS} are allowed"
            ));
        }
        Ok(parsed)
    }

    fn parse_terms(input: &str) -> Result<Self, String> {
        let mut groups: Vec<Vec<Term>> = Vec::new();
        let mut excluded = Vec::new();
        let mut ignored: Vec<String> = Vec::new();
        let mut pending_or = false;
        let mut chars = input.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
                continue;
            }
            let negated = c == '-';
            if negated {
                chars.next();
            }
            let (raw, quoted) = if chars.peek() == Some(&'"') {
                chars.next();
                let text: String = chars.by_ref().take_while(|&c| c != '"').collect();
                (text, true)
            } else {
                let mut text = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    text.push(c);
                    chars.next();
                }
                (text, false)
            };
            if !quoted && !negated && raw == "OR" {
                pending_or = !groups.is_empty();
                continue;
            }
            let words = tokens(&raw);
            let term = match words.len() {
                0 => continue,
                1 if !quoted => Term::Word(words.into_iter().next().unwrap_or_default()),
                _ => Term::Phrase(words),
            };
            let Some(term) = term.without_stop_words() else {
                // "police OR the courts" finds police and courts.
                pending_or = false;
                if !negated {
                    ignored.push(raw);
                }
                continue;
            };
            if negated {
                excluded.push(term);
            } else if pending_or {
                groups.last_mut().expect("OR follows a term").push(term);
                pending_or = false;
            } else {
                groups.push(vec![term]);
            }
        }
        if groups.is_empty() {
            return Err(if !ignored.is_empty() {
                format!(
                    "the search has only common words ({}), which are not indexed; add a more \
                     specific word",
                    ignored.join(", ")
                )
            } else if excluded.is_empty() {
                "the search has no words to find".to_owned()
            } else {
                "the search only excludes words; add at least one word to find".to_owned()
            });
        }
        Ok(Self {
            groups,
            excluded,
            expansions: Expansions::default(),
        })
    }

    /// Its words (each matched as a prefix), each once, the excluded ones too.
    pub fn prefix_words(&self) -> Vec<String> {
        let mut words: Vec<String> = self
            .groups
            .iter()
            .flatten()
            .chain(&self.excluded)
            .filter_map(|term| match term {
                Term::Word(word) => Some(word.clone()),
                Term::Phrase(_) => None,
            })
            .collect();
        words.sort();
        words.dedup();
        words
    }

    /// The same search, matched on PostgreSQL through the lexemes `expansions` gives for its
    /// prefix words (see [`Expansions`]); words it leaves out stay prefixes, and words that
    /// are not its own are dropped.
    pub fn with_expansions(self, mut expansions: HashMap<String, Vec<String>>) -> Self {
        let words = self.prefix_words();
        expansions.retain(|word, _| words.contains(word));
        Self {
            expansions: Expansions(Some(Arc::new(expansions))),
            ..self
        }
    }

    /// The query text for the backend: an FTS5 `MATCH` expression, or `to_tsquery` input.
    pub fn render(&self, backend: DatabaseBackend) -> String {
        match backend {
            DatabaseBackend::Postgres => self.render_tsquery(),
            _ => self.render_fts5(),
        }
    }

    /// PostgreSQL: the `tsquery` that finds this search's rows, written as a literal so every
    /// statement is planned for its own words (a generic plan cannot tell a rare word from a
    /// common one, and picks the same walk of a sort order's index for both). Prefix words
    /// with [`Expansions`] are written as their lexemes: a GIN index intersects exact lexemes
    /// itself, while a prefix's rows must each be read and checked against their vector
    /// (counting the 38,467 rows of "human trafficking" at 200,000 publications took 88 ms
    /// with prefixes, 38 ms with the lexemes).
    pub fn tsquery_literal(&self) -> String {
        let expansions = self
            .expansions
            .0
            .as_deref()
            .filter(|found| !found.is_empty());
        let Some(expansions) = expansions else {
            return Self::literal(&self.render_tsquery());
        };
        let term = |t: &Term| match t {
            Term::Word(w) if expansions.contains_key(w) => lexemes_literal(&expansions[w]),
            _ => Self::literal(&tsquery_term(t)),
        };
        let group = |g: &Vec<Term>| {
            let terms: Vec<String> = g.iter().map(term).collect();
            format!("({})", terms.join(" || "))
        };
        let mut parts: Vec<String> = self.groups.iter().map(group).collect();
        parts.extend(self.excluded.iter().map(|t| format!("(!! {})", term(t))));
        // In parentheses: `&&` binds no tighter than the `@@` it may follow.
        format!("({})", parts.join(" && "))
    }

    /// PostgreSQL: the `to_tsquery` call that ranks this search's matches: its words without
    /// the excluded ones. `ts_rank` scores a match by the query's operands, and gives every
    /// match of a query with a `!` term next to nothing (1e-20), which ranked them in id order.
    pub fn rank_tsquery_literal(&self) -> String {
        Self::literal(&self.render_tsquery_groups().join(" & "))
    }

    fn literal(tsquery: &str) -> String {
        format!("to_tsquery('english', '{}')", tsquery.replace('\'', "''"))
    }

    fn render_fts5(&self) -> String {
        let term = |t: &Term| match t {
            Term::Word(w) => format!("\"{w}\"*"),
            Term::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
        };
        let group = |g: &Vec<Term>| {
            let parts: Vec<String> = g.iter().map(term).collect();
            if parts.len() == 1 {
                parts[0].clone()
            } else {
                format!("({})", parts.join(" OR "))
            }
        };
        let mut text = self
            .groups
            .iter()
            .map(group)
            .collect::<Vec<_>>()
            .join(" AND ");
        for t in &self.excluded {
            text = format!("({text}) NOT {}", term(t));
        }
        text
    }

    fn render_tsquery(&self) -> String {
        let mut parts = self.render_tsquery_groups();
        parts.extend(
            self.excluded
                .iter()
                .map(|t| format!("!{}", tsquery_term(t))),
        );
        parts.join(" & ")
    }

    /// The groups of words to find, each as a `to_tsquery` alternative.
    fn render_tsquery_groups(&self) -> Vec<String> {
        let group = |g: &Vec<Term>| {
            let terms: Vec<String> = g.iter().map(tsquery_term).collect();
            format!("({})", terms.join(" | "))
        };
        self.groups.iter().map(group).collect()
    }
}

/// The `tsquery` constant matching any of `lexemes` exactly, as they are (no dictionary reads
/// them again, as `to_tsquery` would).
fn lexemes_literal(lexemes: &[String]) -> String {
    let quoted: Vec<String> = lexemes
        .iter()
        .map(|lexeme| format!("'{}'", lexeme.replace('\\', "\\\\").replace('\'', "''")))
        .collect();
    format!(
        "CAST('{}' AS tsquery)",
        quoted.join(" | ").replace('\'', "''")
    )
}

fn tsquery_term(term: &Term) -> String {
    match term {
        Term::Word(w) => format!("{w}:*"),
        Term::Phrase(ws) => format!("({})", ws.join(" <-> ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_or_and_exclusions() {
        let q = SearchQuery::parse(r#"human "law enforcement" victims OR survivors -juvenile"#)
            .unwrap();
        assert_eq!(
            q.render(DatabaseBackend::Sqlite),
            r#"("human"* AND "law enforcement" AND ("victims"* OR "survivors"*)) NOT "juvenile"*"#
        );
        assert_eq!(
            q.render(DatabaseBackend::Postgres),
            "(human:*) & ((law <-> enforcement)) & (victims:* | survivors:*) & !juvenile:*"
        );
    }

    #[test]
    fn prefix_words_are_written_as_their_lexemes() {
        let q = SearchQuery::parse(r#"human "law enforcement" victims OR survivors -obx"#).unwrap();
        let plain = q.tsquery_literal();
        let lexemes = |pairs: &[(&str, &[&str])]| {
            pairs
                .iter()
                .map(|(w, l)| (w.to_string(), l.iter().map(|s| s.to_string()).collect()))
                .collect::<HashMap<String, Vec<String>>>()
        };
        let expanded = q.clone().with_expansions(lexemes(&[
            ("human", &["human", "humane"]),
            ("victims", &["victim"]),
            ("obx", &[r"o'b\x"]),
        ]));
        assert_eq!(
            expanded.tsquery_literal(),
            "((CAST('''human'' | ''humane''' AS tsquery)) && \
             (to_tsquery('english', '(law <-> enforcement)')) && \
             (CAST('''victim''' AS tsquery) || to_tsquery('english', 'survivors:*')) && \
             (!! CAST('''o''''b\\\\x''' AS tsquery)))"
        );
        assert_eq!(expanded, q, "the same search, whatever its words stand for");
        assert_eq!(expanded.rank_tsquery_literal(), q.rank_tsquery_literal());
        let unrelated = q
            .clone()
            .with_expansions(lexemes(&[("police", &["polic"])]));
        assert_eq!(unrelated.tsquery_literal(), plain, "no word written out");
    }

    #[test]
    fn punctuation_cannot_inject_syntax() {
        let q = SearchQuery::parse(r#"NEAR(a b) "x" OR* ) : ' ; --"#).unwrap();
        let fts = q.render(DatabaseBackend::Sqlite);
        assert!(
            !fts.contains(':') && !fts.contains(';') && !fts.contains('\''),
            "{fts}"
        );
        assert!(!q.render(DatabaseBackend::Postgres).contains('\''));
    }

    #[test]
    fn overlong_searches_are_refused() {
        let words = |n: usize| {
            (0..n)
                .map(|i| format!("-w{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(SearchQuery::parse(&format!("police {}", words(31))).is_ok());
        let many = SearchQuery::parse(&format!("police {}", words(97))).unwrap_err();
        assert!(many.contains("98 words and phrases; at most 32"), "{many}");
        let long = SearchQuery::parse(&"police ".repeat(200)).unwrap_err();
        assert!(
            long.contains("1400 characters long; at most 1000"),
            "{long}"
        );
    }

    #[test]
    fn exclusions_do_not_rank() {
        let q = SearchQuery::parse("police OR courts -force").unwrap();
        assert_eq!(
            q.rank_tsquery_literal(),
            "to_tsquery('english', '(police:* | courts:*)')"
        );
        assert!(q.tsquery_literal().contains("!force:*"));
    }

    #[test]
    fn common_words_are_left_out() {
        let both = |q: &SearchQuery| {
            (
                q.render(DatabaseBackend::Sqlite),
                q.render(DatabaseBackend::Postgres),
            )
        };
        let plain = SearchQuery::parse(r#"police "law and order" -juvenile"#).unwrap();
        for noisy in [
            r#"the police "the law and order of" -juvenile -the"#,
            r#"police OR the "law and order" -juvenile"#,
            r#"The police OF "law and order" -juvenile"#,
        ] {
            let q = SearchQuery::parse(noisy).unwrap();
            assert_eq!(both(&q), both(&plain), "{noisy}");
        }
        // A phrase keeps the common words between its words.
        assert_eq!(
            plain.render(DatabaseBackend::Sqlite),
            r#"("police"* AND "law and order") NOT "juvenile"*"#
        );
        // A dropped word does not join the next word to an OR.
        let q = SearchQuery::parse("police OR the courts").unwrap();
        assert_eq!(
            q.render(DatabaseBackend::Sqlite),
            r#""police"* AND "courts"*"#
        );
        // "U.S." is a phrase of "u" and "s", and "s" a stop word: the exact word "u" is left.
        let q = SearchQuery::parse("U.S. courts").unwrap();
        assert_eq!(q.render(DatabaseBackend::Sqlite), r#""u" AND "courts"*"#);
        let err = SearchQuery::parse(r#"the OR "of the" don't"#).unwrap_err();
        assert!(
            err.contains("only common words (the, of the, don't)"),
            "{err}"
        );
        assert!(!is_stop_word("research") && !is_stop_word("crime") && is_stop_word("between"));
    }

    #[test]
    fn nothing_to_find_is_an_error() {
        assert!(SearchQuery::parse("").is_err());
        assert!(SearchQuery::parse("  --- ").is_err());
        assert!(
            SearchQuery::parse("-only -excluded")
                .unwrap_err()
                .contains("only excludes")
        );
        assert!(SearchQuery::parse("OR").is_err());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever a user types, the rendered query holds no quote or operator it did not mean.
        #[test]
        fn arbitrary_searches_render_safely(text in ".{0,120}") {
            if let Ok(query) = SearchQuery::parse(&text) {
                let fts = query.render(DatabaseBackend::Sqlite);
                prop_assert!(!fts.contains('\''), "{fts}");
                prop_assert_eq!(fts.matches('"').count() % 2, 0, "balanced quotes: {}", fts);
                let ts = query.render(DatabaseBackend::Postgres);
                prop_assert!(!ts.contains('\'') && !ts.replace(":*", "").contains(':'), "{ts}");
            }
        }
    }
}
