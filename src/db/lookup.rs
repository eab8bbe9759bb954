//! Finding records by their natural keys: NCJ numbers, study numbers, DOIs, producer names.

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::carried::{CarriedCredits, Credit};
use super::entities::{Record, producer};
use super::producer_names::split_producer_name;
use super::sql::{MAX_IN_LIST, Sql};

pub use super::keys::{
    doi_key, doi_key_sql, normalize_doi, normalize_ncj, normalize_study_number, parse_doi,
    parse_ncj, parse_study_number,
};

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
    let mut sql = named_sql(conn, name).await?;
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
    let mut sql = named_sql(conn, name).await?;
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

/// `text` with every run of whitespace one space, and none at its ends: how names are
/// compared, and so how they are stored.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The lowercase forms of a producer's name that name the same body: the name as given and,
/// with or without the country in front, its other forms ("United States Department of
/// Justice", "U.S. Department of Justice" and "Department of Justice": ICPSR writes the first,
/// justice.gov's catalog the last).
pub fn name_forms(name: &str) -> Vec<String> {
    forms_lowered_by(name, str::to_lowercase)
}

/// [`name_forms`], with the letters lowered by `lower`.
fn forms_lowered_by(name: &str, lower: fn(&str) -> String) -> Vec<String> {
    let name = lower(&collapse_whitespace(name));
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
///
/// A name is compared by its `name_key` (lowered in Rust, every letter). Abbreviations and
/// aliases are lowered by the database, and SQLite's `lower()` lowers ASCII letters only:
/// "Ärzte Verband" is "Ärzte verband" to it, so the forms lowered the same way are asked for
/// too (on PostgreSQL they can match nothing more), and on SQLite a name with letters beyond
/// ASCII also finds what [`unicode_case_matches`] finds.
async fn named_sql(conn: &impl ConnectionTrait, name: &str) -> Result<Sql, DbErr> {
    let forms = name_forms(name);
    let mut lowered = forms_lowered_by(name, str::to_ascii_lowercase);
    lowered.extend(forms.iter().cloned());
    lowered.sort();
    lowered.dedup();
    let beyond_ascii = unicode_case_matches(conn, &forms).await?;
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT ")
        .push(&producer::Model::select_list("producer"))
        .push(" FROM producer WHERE (name_key IN ")
        .bind_list(forms)
        .push(" OR lower(abbreviation) IN ")
        .bind_list(lowered.iter().cloned())
        .push(" OR id IN (SELECT producer_id FROM producer_alias WHERE lower(value) IN ")
        .bind_list(lowered)
        .push(")");
    if !beyond_ascii.is_empty() {
        sql.push(" OR id IN ").bind_list(beyond_ascii);
    }
    sql.push(")");
    Ok(sql)
}

/// SQLite: the producers whose abbreviation or an alias is one of `forms` (lowercase) with
/// every letter lowered, as PostgreSQL's `lower()` and the `name_key` do. SQLite's `lower()`
/// leaves letters beyond ASCII as they are, so an alias "ÖSTERREICHISCHE ÄRZTEKAMMER" was not
/// found by "Österreichische Ärztekammer" there (only by names whose letters beyond ASCII were
/// written in the same case). The candidates are read with `LIKE`, which ignores the case of
/// ASCII letters, with `_` (any one character) for every other character, and each is kept
/// when its value lowered here is one of the forms. Nothing to do for a name of ASCII letters
/// only, or on PostgreSQL.
async fn unicode_case_matches(
    conn: &impl ConnectionTrait,
    forms: &[String],
) -> Result<Vec<i64>, DbErr> {
    let patterns: Vec<String> = forms
        .iter()
        .filter(|form| !form.is_ascii())
        .map(|form| like_pattern(form))
        .collect();
    if patterns.is_empty() || conn.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(conn.get_database_backend());
    let like_any = |sql: &mut Sql, column: &str| {
        for (i, pattern) in patterns.iter().enumerate() {
            sql.push(if i == 0 { " WHERE " } else { " OR " })
                .push(column)
                .push(" LIKE ")
                .bind(pattern.clone())
                .push(" ESCAPE '\\'");
        }
    };
    sql.push("SELECT producer_id AS id, value FROM producer_alias");
    like_any(&mut sql, "value");
    sql.push(" UNION ALL SELECT id, abbreviation AS value FROM producer");
    like_any(&mut sql, "abbreviation");
    let mut ids = Vec::new();
    for row in conn.query_all_raw(sql.build()).await? {
        let value: String = row.try_get("", "value")?;
        if forms.contains(&value.to_lowercase()) {
            ids.push(row.try_get::<i64>("", "id")?);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// A `LIKE` pattern (escaped with a backslash) for `text`: its ASCII characters as they are,
/// `_` for each other character.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' | '_' | '\\' => {
                pattern.push('\\');
                pattern.push(c);
            }
            c if c.is_ascii() => pattern.push(c),
            _ => pattern.push('_'),
        }
    }
    pattern
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
/// single name anywhere in the hierarchy, a producer's full name ("A, B, C", as
/// `Producer.fullName` writes it), or a name written as one string the way catalogs do
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

/// A name anywhere in the hierarchy, else the same text read as a producer's full name (its
/// levels joined by ", ", as `Producer.fullName` writes it: [`by_full_name`]), else as a name
/// written out with its levels the way catalogs do ([`split_producer_name`]).
async fn named_or_written_out(
    conn: &impl ConnectionTrait,
    text: &str,
) -> Result<producer::Model, ProducerLookupError> {
    let named = match one_named_anywhere(conn, text).await {
        Err(ProducerLookupError::NotFound(_)) => None,
        Err(other) => return Err(other),
        Ok(named) => Some(named),
    };
    let mut full_named = by_full_name(conn, text).await?;
    // A producer named "A, B" and another whose full name is "A, B" (B under A): the text
    // names both. The first was returned silently, and the other could not be found by its
    // own full name.
    if let Some(named) = named {
        full_named.retain(|other| other.id != named.id);
        if full_named.is_empty() {
            return Ok(named);
        }
        return Err(ProducerLookupError::Ambiguous {
            name: text.trim().to_owned(),
            candidates: full_named.len() + 1,
        });
    }
    match full_named.len() {
        0 => {}
        1 => return Ok(full_named.remove(0)),
        candidates => {
            return Err(ProducerLookupError::Ambiguous {
                name: text.trim().to_owned(),
                candidates,
            });
        }
    }
    let levels = split_producer_name(text);
    if levels.len() < 2 {
        return Err(ProducerLookupError::NotFound(text.trim().to_owned()));
    }
    one_per_level(conn, &levels, text).await
}

/// A full name of more pieces than this between commas is not read as one ([`by_full_name`]
/// tries the ways to group its pieces into levels).
const MAX_FULL_NAME_PIECES: usize = 32;

/// The producers whose full name `text` is: its levels joined by ", ", root first, each a
/// child of the one before (by name, abbreviation or alias, as a path's steps). A level's own
/// name may hold ", " too ("University of California, Berkeley"), so every way to group the
/// pieces between commas into levels is tried; a producer whose own name is the whole text
/// was looked for already. Unlike [`split_producer_name`], which splits only before a piece
/// that names a unit ("Bureau of Prisons"), this finds "Department of Justice, Bureau of
/// Prisons, FPI-UNICOR" by its levels' own names, whatever words they hold.
async fn by_full_name(
    conn: &impl ConnectionTrait,
    text: &str,
) -> Result<Vec<producer::Model>, DbErr> {
    let text = collapse_whitespace(text);
    let pieces: Vec<&str> = text.split(", ").collect();
    if pieces.len() < 2 || pieces.len() > MAX_FULL_NAME_PIECES {
        return Ok(Vec::new());
    }
    let mut found: Vec<producer::Model> = Vec::new();
    // Levels read so far: (pieces they took, the producer of the last one; `None`: none yet).
    let mut pending: Vec<(usize, Option<i64>)> = vec![(0, None)];
    let mut seen: HashSet<(usize, i64)> = HashSet::new();
    while let Some((start, parent)) = pending.pop() {
        let last = if start == 0 {
            pieces.len() - 1
        } else {
            pieces.len()
        };
        for end in start + 1..=last {
            let name = pieces[start..end].join(", ");
            let level = match one_named(conn, &name, Some(parent)).await {
                Ok(level) => level,
                Err(ProducerLookupError::Db(err)) => return Err(err),
                Err(_) => continue,
            };
            if end == pieces.len() {
                if found.iter().all(|other| other.id != level.id) {
                    found.push(level);
                }
            } else if seen.insert((end, level.id)) {
                pending.push((end, Some(level.id)));
            }
        }
    }
    Ok(found)
}

/// The one producer called `name` anywhere in the hierarchy; when several are, the root of
/// that name (a one-segment path is a path from the root: a root "Acme" stays named "Acme"
/// when "Holding > Acme" comes).
async fn one_named_anywhere(
    conn: &impl ConnectionTrait,
    name: &str,
) -> Result<producer::Model, ProducerLookupError> {
    match one_named(conn, name, None).await {
        Err(ambiguous @ ProducerLookupError::Ambiguous { .. }) => {
            match one_named(conn, name, Some(None)).await {
                Ok(root) => Ok(root),
                Err(_) => Err(ambiguous),
            }
        }
        found => found,
    }
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

/// The levels of a one-string name: the first anywhere (the root of that name when several
/// are), each next one under the previous,
/// else anywhere below it (a level the string skips).
async fn one_per_level(
    conn: &impl ConnectionTrait,
    parts: &[String],
    text: &str,
) -> Result<producer::Model, ProducerLookupError> {
    let mut found = one_named_anywhere(conn, &parts[0]).await?;
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
    fn like_patterns_keep_ascii_and_stand_in_for_other_characters() {
        assert_eq!(like_pattern("öäk"), "__k");
        assert_eq!(like_pattern("ärzte 50%_a\\b"), "_rzte 50\\%\\_a\\\\b");
    }

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
}
