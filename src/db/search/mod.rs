//! Full-text search: one user syntax on both backends — words, "quoted phrases", `OR` between
//! alternatives, `-excluded` words — parsed once and rendered for SQLite FTS5 or for PostgreSQL
//! `to_tsquery`. Words match by stem and as prefixes ("traffic" finds "trafficking"). Common
//! words ("the", "of") are left out of the search on both backends, as PostgreSQL leaves them
//! out of its index.

mod across;
pub mod anchor;
mod index;
mod marks;
mod prefixes;
mod query;

pub use across::{Hit, HitPosition, count_all, counts_with_page, search_all};
pub use index::{
    Text, forget, indexed_strings, insert_many, note_lexemes, note_lexemes_of_texts, refresh,
    vector_of, vector_of_parts,
};
pub use prefixes::lexemes_of_prefixes;
pub use query::{Expansions, SearchQuery, Term, is_stop_word};
