//! The one write path every importer uses: upsert producers, publications, datasets and links
//! by natural key inside the caller's transaction. Problems with a record are
//! [`UpsertError::Invalid`] naming the field; nothing here commits.

mod links;
mod lists;
mod producers;
mod records;

use sea_orm::DbErr;

use crate::dates::PartialDateValue;

pub use self::links::{find_or_create_dataset, find_or_create_publication, link, link_ids};
pub use self::lists::stored_list;
pub use self::producers::{
    forget_paths, producer, producer_under, resolve_producer, with_path_cache,
};
pub use self::records::{
    Keyless, KeylessCredits, KeylessSeen, dataset, dataset_or, dataset_to, keyless_match,
    publication, publication_to,
};

#[derive(Debug)]
pub enum UpsertError {
    Invalid { field: String, reason: String },
    Db(DbErr),
}

impl From<DbErr> for UpsertError {
    fn from(err: DbErr) -> Self {
        Self::Db(err)
    }
}

pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> UpsertError {
    UpsertError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

type Result<T> = std::result::Result<T, UpsertError>;

/// The start of the reason given when a natural key (or a producer's name under its parent)
/// belongs to another record than the one being written; the API reports it as `TAKEN`.
pub const TAKEN: &str = "already belongs to another";

/// In the reason given when a producer's abbreviation or alias already names a sibling.
pub const NAMES_SIBLING: &str = "already names";

/// Whether a refusal's `reason` says a key or name is another record's (the API's `TAKEN`).
pub fn is_taken(reason: &str) -> bool {
    reason.starts_with(TAKEN) || reason.contains(NAMES_SIBLING)
}

/// Which row a write goes to. Importers upsert by natural key; the API creates new records and
/// edits records by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The record a natural key names, else this fallback row, else a new one.
    ByKey(Option<i64>),
    /// A new record: a natural key another record has is an error.
    New,
    /// This existing record: a natural key another record has is an error. Its producer
    /// credits are left as they are (the API edits them one by one).
    Row(i64),
}

impl Target {
    /// The row to write, given the record the input's natural keys name (and by which field).
    fn row(self, named: Option<(i64, &str)>, what: &str) -> Result<Option<i64>> {
        match (self, named) {
            (Self::ByKey(fallback), named) => Ok(named.map(|(id, _)| id).or(fallback)),
            (Self::New, None) => Ok(None),
            (Self::Row(id), None) => Ok(Some(id)),
            (Self::Row(id), Some((other, _))) if other == id => Ok(Some(id)),
            (_, Some((_, field))) => Err(invalid(field, format!("{TAKEN} {what}"))),
        }
    }
}

pub struct ProducerInput {
    pub name: String,
    pub abbreviation: Option<String>,
    pub aliases: Vec<String>,
    pub kind: Option<String>,
    pub location: Option<String>,
    pub url: Option<String>,
    /// Path of the parent from the root ("A > B"), `None` for a root.
    pub parent: Option<String>,
}

/// A producer credit: a producer path and a stored role name.
pub struct CreditInput {
    pub producer: String,
    pub role: String,
}

pub struct PublicationInput {
    pub ncj_number: Option<String>,
    pub doi: Option<String>,
    pub title: String,
    pub subtitle: Option<String>,
    pub publication_type: Option<String>,
    pub published_on: Option<PartialDateValue>,
    pub abstract_text: Option<String>,
    pub physical_description: Option<String>,
    pub place_of_production: Option<String>,
    pub language: Option<String>,
    pub url: Option<String>,
    pub authors: Vec<String>,
    pub subjects: Vec<String>,
    pub producers: Vec<CreditInput>,
    pub synthetic: bool,
}

pub struct DatasetInput {
    pub study_number: Option<String>,
    pub doi: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub time_period: (Option<i32>, Option<i32>),
    pub geographic_coverage: Vec<String>,
    pub released_on: Option<PartialDateValue>,
    pub version: Option<String>,
    pub series: Option<String>,
    pub data_types: Vec<String>,
    pub subjects: Vec<String>,
    pub url: Option<String>,
    pub producers: Vec<CreditInput>,
    pub synthetic: bool,
}

/// A natural key: which column (`ncj_number`, `study_number`, `doi`) and its value.
/// The longest title (in characters) a record may have.
pub const MAX_TITLE_CHARS: usize = 2_000;

/// The longest abstract or summary (in characters) a record may have: its search vector must
/// stay within PostgreSQL's 1 MB (an 855,000-character abstract answered INTERNAL there and
/// was stored on SQLite); the longest abstracts of real catalogs are a few thousand.
pub const MAX_TEXT_CHARS: usize = 100_000;

/// Refuses a title or long text past its limit (`fields`: name, value, limit).
fn check_lengths(fields: [(&'static str, Option<&str>, usize); 2]) -> Result<()> {
    for (field, value, limit) in fields {
        let length = value.map_or(0, |v| v.chars().count());
        if length > limit {
            return Err(invalid(
                field,
                format!("is {length} characters long; at most {limit} are allowed"),
            ));
        }
    }
    Ok(())
}

/// The most bytes (UTF-8) an indexed value may hold: a title, a natural key, a name, a
/// faceted value, an author. PostgreSQL's btree indexes take entries of up to ~2,700 bytes: a
/// 950-character CJK title, or one author entry listing a consortium, stopped a run there with
/// a database error and loaded on SQLite.
pub const MAX_INDEXED_BYTES: usize = 2_000;

/// The most bytes of a publication type or a language: both sit in one entry of the
/// publications' covering facet index, which must stay within PostgreSQL's entry size too (two
/// values of 1,400 bytes each overflowed it).
pub const MAX_COVERED_BYTES: usize = 1_000;

/// Refuses an indexed value past `limit` bytes (lowercased too: titles and names are also
/// indexed lowercased, which can take more bytes).
fn refuse_oversized<'a>(
    limit: usize,
    fields: impl IntoIterator<Item = (String, &'a str)>,
) -> Result<()> {
    for (field, value) in fields {
        let bytes = value.len().max(value.to_lowercase().len());
        if bytes > limit {
            return Err(invalid(
                field,
                format!(
                    "is {bytes} bytes long (UTF-8); a value that is indexed holds at most {limit}"
                ),
            ));
        }
    }
    Ok(())
}

/// `(field, value)` of an optional indexed value.
fn one<'a>(field: &'static str, value: Option<&'a str>) -> Option<(String, &'a str)> {
    value.map(|value| (field.to_owned(), value))
}

/// `(field[i], value)` of every value of a list field.
fn every<'a>(field: &'static str, values: &'a [String]) -> impl Iterator<Item = (String, &'a str)> {
    values
        .iter()
        .enumerate()
        .map(move |(i, value)| (format!("{field}[{i}]"), value.as_str()))
}

/// Refuses a faceted value that is the facets' key for records without one ("unknown"): a
/// bucket of that name would share its key with theirs, and drilling into it would find both.
/// Compared as stored: list values are trimmed when they are written.
fn refuse_unknown<'a>(
    fields: impl IntoIterator<Item = (&'static str, Option<&'a str>)>,
) -> Result<()> {
    for (field, value) in fields {
        if value.map(str::trim) == Some(crate::db::facets::UNKNOWN) {
            return Err(invalid(
                field,
                "\"unknown\" is how facets name records without a value; leave the value out instead",
            ));
        }
    }
    Ok(())
}

/// `(field, value)` of every value of a list field.
fn each<'a>(
    field: &'static str,
    values: &'a [String],
) -> impl Iterator<Item = (&'static str, Option<&'a str>)> {
    values
        .iter()
        .map(move |value| (field, Some(value.as_str())))
}

impl PublicationInput {
    /// Checks the lengths of its title and abstract, and its faceted values.
    pub fn check_lengths(&self) -> Result<()> {
        check_lengths([
            ("title", Some(&self.title), MAX_TITLE_CHARS),
            ("abstract", self.abstract_text.as_deref(), MAX_TEXT_CHARS),
        ])?;
        refuse_oversized(
            MAX_INDEXED_BYTES,
            [
                one("title", Some(&self.title)),
                one("ncjNumber", self.ncj_number.as_deref()),
                one("doi", self.doi.as_deref()),
            ]
            .into_iter()
            .flatten()
            .chain(every("authors", &self.authors))
            .chain(every("subjects", &self.subjects)),
        )?;
        refuse_oversized(
            MAX_COVERED_BYTES,
            [
                one("publicationType", self.publication_type.as_deref()),
                one("language", self.language.as_deref()),
            ]
            .into_iter()
            .flatten(),
        )?;
        refuse_unknown(
            [
                ("publicationType", self.publication_type.as_deref()),
                ("language", self.language.as_deref()),
            ]
            .into_iter()
            .chain(each("subjects", &self.subjects)),
        )
    }
}

impl DatasetInput {
    /// Checks the lengths of its title and summary, and its faceted values.
    pub fn check_lengths(&self) -> Result<()> {
        check_lengths([
            ("title", Some(&self.title), MAX_TITLE_CHARS),
            ("summary", self.summary.as_deref(), MAX_TEXT_CHARS),
        ])?;
        refuse_oversized(
            MAX_INDEXED_BYTES,
            [
                one("title", Some(&self.title)),
                one("studyNumber", self.study_number.as_deref()),
                one("doi", self.doi.as_deref()),
                one("series", self.series.as_deref()),
            ]
            .into_iter()
            .flatten()
            .chain(every("subjects", &self.subjects))
            .chain(every("geographicCoverage", &self.geographic_coverage))
            .chain(every("dataTypes", &self.data_types)),
        )?;
        refuse_unknown(
            std::iter::once(("series", self.series.as_deref()))
                .chain(each("subjects", &self.subjects))
                .chain(each("geographicCoverage", &self.geographic_coverage))
                .chain(each("dataTypes", &self.data_types)),
        )
    }
}

impl ProducerInput {
    /// Checks its indexed values' sizes and its faceted value (`kind`).
    pub fn check_values(&self) -> Result<()> {
        refuse_oversized(
            MAX_INDEXED_BYTES,
            [
                one("name", Some(&self.name)),
                one("abbreviation", self.abbreviation.as_deref()),
                one("kind", self.kind.as_deref()),
            ]
            .into_iter()
            .flatten()
            .chain(every("aliases", &self.aliases)),
        )?;
        refuse_unknown([("kind", self.kind.as_deref())])
    }
}

pub struct KeyInput {
    pub field: &'static str,
    pub column: &'static str,
    pub value: String,
}

pub struct LinkInput {
    pub publication: KeyInput,
    pub dataset: KeyInput,
    pub relation_type: String,
    pub source: LinkValue<String>,
    pub linked_on: LinkValue<chrono::NaiveDate>,
}

/// An optional value of a link: `None` when the input does not give it (a CSV sheet without
/// that column, a mutation without that field), so an existing link keeps its own; `Some(None)`
/// clears it.
pub type LinkValue<T> = Option<Option<T>>;
