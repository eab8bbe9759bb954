//! Finding records by their natural keys: NCJ numbers, study numbers, DOIs, producer names.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, FromQueryResult};

use super::carried::{CarriedCredits, Credit};
use super::entities::{Record, producer};
use super::producer_names::split_producer_name;
use super::sql::{MAX_IN_LIST, Sql};

/// `"NCJ 216547"`, `"216547"` and `"NCJ 0216547"` all name NCJ 216547: the prefix goes, and a
/// number loses its leading zeros, as NCJRS writes it.
pub fn normalize_ncj(input: &str) -> String {
    without_leading_zeros(after_prefix(input, "NCJ"))
}

/// `"ICPSR 20423"`, `"20423"` and `"ICPSR 06999"` name studies 20423 and 6999: the prefix goes,
/// and a number loses its leading zeros, as ICPSR writes it (and DOIs such as
/// `10.3886/ICPSR06999.v1` are read).
pub fn normalize_study_number(input: &str) -> String {
    without_leading_zeros(after_prefix(input, "ICPSR"))
}

/// `input` without an optional `prefix` and the space or hyphen after it ("NCJ 216547",
/// "NCJ-216547" and "NCJ216547" are all "216547"; a hyphen kept was stored as "-216547").
fn after_prefix<'a>(input: &'a str, prefix: &str) -> &'a str {
    let text = input.trim();
    let rest = strip_prefix_ci(text, prefix);
    if rest.len() < text.len() {
        rest.trim_start().strip_prefix('-').unwrap_or(rest).trim()
    } else {
        text
    }
}

/// `"0042"` → `"42"`, `"000"` → `"0"`; a key that is not all digits stays as it is.
fn without_leading_zeros(key: &str) -> String {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
        return key.to_owned();
    }
    match key.trim_start_matches('0') {
        "" => "0".to_owned(),
        digits => digits.to_owned(),
    }
}

/// An NCJ number as a person writes it, stricter than [`normalize_ncj`] (which importers use
/// and which keeps other keys as written): digits after an optional "NCJ" prefix, followed or
/// not by a space or hyphen ("NCJ-999001" is 999001). The digits without leading zeros, or
/// why the input is not one.
pub fn parse_ncj(input: &str) -> Result<String, String> {
    numbered(input, "NCJ").ok_or_else(|| {
        format!(
            "\"{}\" is not an NCJ number: digits, as \"216547\" or \"NCJ 216547\"",
            input.trim()
        )
    })
}

/// A study number as [`parse_ncj`] reads an NCJ number, with the prefix "ICPSR".
pub fn parse_study_number(input: &str) -> Result<String, String> {
    numbered(input, "ICPSR").ok_or_else(|| {
        format!(
            "\"{}\" is not a study number: digits, as \"20423\" or \"ICPSR 20423\"",
            input.trim()
        )
    })
}

/// The digits after an optional `prefix` (and a space or hyphen after it), without leading
/// zeros; `None` when anything else is there.
fn numbered(input: &str, prefix: &str) -> Option<String> {
    let digits = after_prefix(input, prefix);
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    all_digits.then(|| without_leading_zeros(digits))
}

/// A DOI as [`normalize_doi`] writes it, when it is one: "10.", a registrant, "/" and a suffix
/// (resolver prefixes dropped first); else why not.
pub fn parse_doi(input: &str) -> Result<String, String> {
    let doi = normalize_doi(input);
    if doi.starts_with("10.") && doi.contains('/') {
        Ok(doi)
    } else {
        Err(format!(
            "\"{}\" is not a DOI: \"10.\", a registrant, \"/\" and a suffix, as \"10.3886/ICPSR20423.v1\"",
            input.trim()
        ))
    }
}

/// A DOI without resolver prefixes (`https://doi.org/`, `doi:`); case is kept (matching ignores it).
pub fn normalize_doi(input: &str) -> String {
    let mut doi = input.trim();
    for prefix in [
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
        "doi:",
    ] {
        doi = strip_prefix_ci(doi, prefix);
    }
    doi.trim().to_owned()
}

/// The key a DOI is compared by: DOIs are the same without regard to ASCII case only ("Case
/// insensitivity for DOI names applies only to ASCII characters", the DOI Handbook), so
/// "10.1234/Ü" and "10.1234/ü" are two DOIs, on both backends.
pub fn doi_key(doi: &str) -> String {
    doi.to_ascii_lowercase()
}

/// [`doi_key`] of `column` in SQL, as the unique DOI indexes are built: SQLite's `lower()`
/// folds ASCII letters only, PostgreSQL's folds every letter unless the collation is "C".
pub fn doi_key_sql(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("lower({column} COLLATE \"C\")"),
        _ => format!("lower({column})"),
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> &'a str {
    match text.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &text[prefix.len()..],
        _ => text,
    }
}

/// The row of `R`'s table whose `column` equals `value` (`doi` compares case-insensitively).
pub async fn by_key<R: Record>(
    conn: &impl ConnectionTrait,
    column: &str,
    value: &str,
) -> Result<Option<R>, DbErr> {
    Ok(
        one_carrying::<R>(conn, column, value.to_owned().into(), None)
            .await?
            .map(|(row, _)| row),
    )
}

/// [`by_key`] for any column (`id` too), and with `credits` the row's credits read by the same
/// statement (see [`super::carried`]).
pub async fn one_carrying<R: Record>(
    conn: &impl ConnectionTrait,
    column: &str,
    value: sea_orm::Value,
    credits: Option<CarriedCredits>,
) -> Result<Option<(R, Vec<Credit>)>, DbErr> {
    let backend = conn.get_database_backend();
    let table = R::TABLE.name();
    let mut sql = Sql::new(backend);
    sql.push("SELECT ").push(&R::select_list(table));
    if let Some(credits) = &credits {
        sql.push(", ")
            .push(&credits.select_expr(backend, &format!("{table}.id")));
    }
    sql.push(" FROM ").push(table);
    if let (true, sea_orm::Value::String(Some(doi))) = (column == "doi", &value) {
        sql.push(" WHERE ")
            .push(&doi_key_sql(backend, "doi"))
            .push(" = ")
            .bind(doi_key(doi));
    } else {
        sql.push(" WHERE ").push(column).push(" = ").bind(value);
    }
    let Some(row) = conn.query_one_raw(sql.build()).await? else {
        return Ok(None);
    };
    let carried = match credits {
        Some(_) => CarriedCredits::read(&row)?,
        None => Vec::new(),
    };
    Ok(Some((R::from_query_result(&row, "")?, carried)))
}

/// Rows of `R`'s table whose `column` is one of `values`, by that value, in one statement per
/// [`MAX_IN_LIST`] values (the batched form of [`by_key`]; `doi` compares case-insensitively and
/// its map is keyed by the lowercased DOI).
pub async fn by_keys<R: Record>(
    conn: &impl ConnectionTrait,
    column: &str,
    values: &[String],
) -> Result<HashMap<String, R>, DbErr> {
    let mut out = HashMap::with_capacity(values.len());
    let key = if column == "doi" {
        doi_key_sql(conn.get_database_backend(), "t.doi")
    } else {
        format!("t.{column}")
    };
    for chunk in values.chunks(MAX_IN_LIST) {
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push("SELECT ")
            .push(&R::select_list("t"))
            .push(", ")
            .push(&key)
            .push(" AS sg_key FROM ")
            .push(R::TABLE.name())
            .push(" t WHERE ")
            .push(&key)
            .push(" IN ");
        if column == "doi" {
            sql.bind_list(chunk.iter().map(|v| doi_key(v)));
        } else {
            sql.bind_list(chunk.iter().cloned());
        }
        for row in conn.query_all_raw(sql.build()).await? {
            out.insert(row.try_get("", "sg_key")?, R::from_query_result(&row, "")?);
        }
    }
    Ok(out)
}

/// Producers called `name` (by name, abbreviation or alias, ignoring case) under `parent`
/// (`Some(None)`: roots only; `None`: anywhere), oldest first.
pub async fn producers_named(
    conn: &impl ConnectionTrait,
    name: &str,
    parent: Option<Option<i64>>,
) -> Result<Vec<producer::Model>, DbErr> {
    let mut sql = named_sql(conn, name);
    if let Some(parent) = parent {
        sql.push(" AND parent_key = ").bind(parent.unwrap_or(0));
    }
    read_producers(conn, sql).await
}

/// Producers called `name` (as [`producers_named`]) anywhere below `ancestor` (its subunits,
/// theirs, and so on), oldest first: a name that skips a level ("United States Department of
/// Justice, National Institute of Justice", where NIJ sits under the Office of Justice
/// Programs) still finds its producer.
async fn producers_named_below(
    conn: &impl ConnectionTrait,
    name: &str,
    ancestor: i64,
) -> Result<Vec<producer::Model>, DbErr> {
    let mut sql = named_sql(conn, name);
    sql.push(" AND id IN (WITH RECURSIVE below(id) AS (SELECT id FROM producer WHERE parent_id = ")
        .bind(ancestor)
        .push(
            " UNION SELECT p.id FROM producer p JOIN below b ON p.parent_id = b.id) \
         SELECT id FROM below)",
        );
    read_producers(conn, sql).await
}

/// How catalogs write the country before a United States federal body, or leave it out.
const COUNTRY_FORMS: [&str; 3] = ["united states ", "u.s. ", "u. s. "];

/// The lowercase forms of a producer's name that name the same body: the name as given and,
/// with or without the country in front, its other forms ("United States Department of
/// Justice", "U.S. Department of Justice" and "Department of Justice": ICPSR writes the first,
/// justice.gov's catalog the last).
pub fn name_forms(name: &str) -> Vec<String> {
    let name = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let bare = COUNTRY_FORMS
        .iter()
        .find_map(|country| name.strip_prefix(country))
        .filter(|rest| rest.contains(' '))
        .unwrap_or(&name)
        .to_owned();
    let mut forms = vec![name.clone()];
    // Only names of several words: "U.S. Army" and "Army" are one body, "U.S." alone is not.
    if bare.contains(' ') {
        forms.push(bare.clone());
        forms.extend(
            COUNTRY_FORMS
                .iter()
                .map(|country| format!("{country}{bare}")),
        );
    }
    forms.sort();
    forms.dedup();
    forms
}

/// `SELECT` of the producers whose name, abbreviation or an alias is one of `name`'s forms
/// ([`name_forms`], ignoring case), open for more conditions.
fn named_sql(conn: &impl ConnectionTrait, name: &str) -> Sql {
    let forms = name_forms(name);
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT ")
        .push(&producer::Model::select_list("producer"))
        .push(" FROM producer WHERE (lower(name) IN ")
        .bind_list(forms.iter().cloned())
        .push(" OR lower(abbreviation) IN ")
        .bind_list(forms.iter().cloned())
        .push(" OR id IN (SELECT producer_id FROM producer_alias WHERE lower(value) IN ")
        .bind_list(forms)
        .push("))");
    sql
}

async fn read_producers(
    conn: &impl ConnectionTrait,
    mut sql: Sql,
) -> Result<Vec<producer::Model>, DbErr> {
    sql.push(" ORDER BY id");
    let rows = conn.query_all_raw(sql.build()).await?;
    rows.iter()
        .map(|row| producer::Model::from_query_result(row, ""))
        .collect()
}

/// The one candidate of several whose own name (not an alias) is `name`, when there is one.
fn prefer_own_name(matches: Vec<producer::Model>, name: &str) -> Vec<producer::Model> {
    if matches.len() < 2 {
        return matches;
    }
    let own: Vec<_> = matches
        .iter()
        .filter(|p| p.name.eq_ignore_ascii_case(name.trim()))
        .cloned()
        .collect();
    if own.is_empty() { matches } else { own }
}

/// Why a producer name or path did not name exactly one producer.
#[derive(Debug)]
pub enum ProducerLookupError {
    NotFound(String),
    Ambiguous { name: String, candidates: usize },
    Db(DbErr),
}

impl From<DbErr> for ProducerLookupError {
    fn from(err: DbErr) -> Self {
        Self::Db(err)
    }
}

/// Resolves `"A > B > C"` (each step a name, abbreviation or alias under the previous one), a
/// single name anywhere in the hierarchy, or a name written as one string the way catalogs do
/// ("United States Department of Justice. Office of Justice Programs. National Institute of
/// Justice", "United States Department of Justice, National Institute of Justice": see
/// [`split_producer_name`]), whose levels may skip one.
pub async fn producer_by_path(
    conn: &impl ConnectionTrait,
    path: &str,
) -> Result<producer::Model, ProducerLookupError> {
    if !path.contains(" > ") {
        return named_or_written_out(conn, path).await;
    }
    let steps: Vec<&str> = path.split(" > ").map(str::trim).collect();
    let mut parent: Option<producer::Model> = None;
    for (depth, step) in steps.iter().enumerate() {
        let scope = Some(parent.as_ref().map(|p| p.id));
        let found = one_named(conn, step, scope).await;
        parent = Some(found.map_err(|err| match err {
            ProducerLookupError::NotFound(_) => {
                ProducerLookupError::NotFound(steps[..=depth].join(" > "))
            }
            other => other,
        })?);
    }
    parent.ok_or_else(|| ProducerLookupError::NotFound(path.to_owned()))
}

/// A name anywhere in the hierarchy, else the same text read as a name written out with its
/// levels ([`split_producer_name`]).
async fn named_or_written_out(
    conn: &impl ConnectionTrait,
    text: &str,
) -> Result<producer::Model, ProducerLookupError> {
    match one_named(conn, text, None).await {
        Err(ProducerLookupError::NotFound(_)) => {}
        found => return found,
    }
    let levels = split_producer_name(text);
    if levels.len() < 2 {
        return Err(ProducerLookupError::NotFound(text.trim().to_owned()));
    }
    one_per_level(conn, &levels, text).await
}

/// The one producer called `name` in `scope` (see [`producers_named`]), preferring its own
/// name over an alias when several are.
async fn one_named(
    conn: &impl ConnectionTrait,
    name: &str,
    scope: Option<Option<i64>>,
) -> Result<producer::Model, ProducerLookupError> {
    let matches = prefer_own_name(producers_named(conn, name, scope).await?, name);
    exactly_one(matches, name)
}

/// The one producer called `name` (by name, abbreviation or alias) anywhere below `ancestor`,
/// preferring its own name over an alias when several are: a level a written-out name skips.
pub async fn one_named_below(
    conn: &impl ConnectionTrait,
    name: &str,
    ancestor: i64,
) -> Result<producer::Model, ProducerLookupError> {
    let matches = prefer_own_name(producers_named_below(conn, name, ancestor).await?, name);
    exactly_one(matches, name)
}

fn exactly_one(
    mut matches: Vec<producer::Model>,
    name: &str,
) -> Result<producer::Model, ProducerLookupError> {
    match matches.len() {
        0 => Err(ProducerLookupError::NotFound(name.trim().to_owned())),
        1 => Ok(matches.remove(0)),
        n => Err(ProducerLookupError::Ambiguous {
            name: name.trim().to_owned(),
            candidates: n,
        }),
    }
}

/// The levels of a one-string name: the first anywhere, each next one under the previous,
/// else anywhere below it (a level the string skips).
async fn one_per_level(
    conn: &impl ConnectionTrait,
    parts: &[String],
    text: &str,
) -> Result<producer::Model, ProducerLookupError> {
    let mut found = one_named(conn, &parts[0], None).await?;
    for part in &parts[1..] {
        found = match one_named(conn, part, Some(Some(found.id))).await {
            Err(ProducerLookupError::NotFound(_)) => one_named_below(conn, part, found.id).await,
            other => other,
        }
        .map_err(|err| match err {
            ProducerLookupError::NotFound(_) => {
                ProducerLookupError::NotFound(text.trim().to_owned())
            }
            other => other,
        })?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_federal_body_is_named_with_or_without_its_country() {
        let forms = name_forms("United States  Department of Justice");
        for form in [
            "united states department of justice",
            "u.s. department of justice",
            "department of justice",
        ] {
            assert!(forms.contains(&form.to_owned()), "{forms:?}");
        }
        assert_eq!(name_forms("Department of Justice"), forms);
        assert_eq!(name_forms("NIJ"), vec!["nij"]);
        assert_eq!(name_forms("U.S."), vec!["u.s."]);
        assert!(!name_forms("United States Army").contains(&"states army".to_owned()));
    }

    #[test]
    fn natural_keys_lose_their_prefixes() {
        assert_eq!(normalize_ncj("NCJ 216547"), "216547");
        assert_eq!(normalize_ncj("216547"), "216547");
        assert_eq!(normalize_study_number("ICPSR 20423"), "20423");
        assert_eq!(normalize_study_number("ICPSR 06999"), "6999");
        assert_eq!(normalize_study_number("0000"), "0");
        assert_eq!(normalize_study_number("A-0042"), "A-0042");
        assert_eq!(normalize_ncj("NCJ 0216547"), "216547");
        assert_eq!(normalize_ncj("NCJ-216547"), "216547");
        assert_eq!(normalize_study_number("ICPSR-20423"), "20423");
        assert_eq!(normalize_ncj("T-2006"), "T-2006");
        assert_eq!(
            normalize_doi("https://doi.org/10.3886/ICPSR20423.v1"),
            "10.3886/ICPSR20423.v1"
        );
        assert_eq!(normalize_doi("doi:10.3886/x"), "10.3886/x");
    }

    #[test]
    fn keys_written_by_people_are_digits_or_dois() {
        for (input, number) in [
            ("216547", "216547"),
            ("NCJ 216547", "216547"),
            ("ncj-0999001", "999001"),
            ("NCJ216547", "216547"),
        ] {
            assert_eq!(parse_ncj(input).as_deref(), Ok(number), "{input}");
        }
        for malformed in [
            "abc", "T-2006", "NCJ", "NCJ--1", "-999001", "NCJ 1 2", "NCJ 12a",
        ] {
            assert!(parse_ncj(malformed).is_err(), "{malformed}");
        }
        assert_eq!(parse_study_number("ICPSR-06999").as_deref(), Ok("6999"));
        assert!(parse_study_number("A-0042").is_err());
        assert_eq!(
            parse_doi("https://doi.org/10.3886/ICPSR20423.v1").as_deref(),
            Ok("10.3886/ICPSR20423.v1")
        );
        for malformed in ["not a doi", "10.3886", "11.1/x", "doi:"] {
            assert!(parse_doi(malformed).is_err(), "{malformed}");
        }
    }
}
