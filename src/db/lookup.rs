//! Finding records by their natural keys: NCJ numbers, study numbers, DOIs, producer names.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::carried::{CarriedCredits, Credit};
use super::entities::{Record, producer};
use super::sql::{MAX_IN_LIST, Sql};

/// `"NCJ 216547"`, `"ncj216547"` and `"216547"` all name NCJ 216547.
pub fn normalize_ncj(input: &str) -> String {
    strip_prefix_ci(input.trim(), "NCJ").trim().to_owned()
}

/// `"ICPSR 20423"` and `"20423"` both name study 20423.
pub fn normalize_study_number(input: &str) -> String {
    strip_prefix_ci(input.trim(), "ICPSR").trim().to_owned()
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
    if column == "doi" {
        sql.push(" WHERE lower(doi) = lower(").bind(value).push(")");
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
        "lower(t.doi)".to_owned()
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
            sql.bind_list(chunk.iter().map(|v| v.to_lowercase()));
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
    let name = name.trim().to_lowercase();
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT ")
        .push(&producer::Model::select_list("producer"))
        .push(" FROM producer WHERE (lower(name) = ")
        .bind(name.clone())
        .push(" OR lower(abbreviation) = ")
        .bind(name.clone())
        .push(" OR id IN (SELECT producer_id FROM producer_alias WHERE lower(value) = ")
        .bind(name)
        .push("))");
    if let Some(parent) = parent {
        sql.push(" AND parent_key = ").bind(parent.unwrap_or(0));
    }
    sql.push(" ORDER BY id");
    let rows = conn.query_all_raw(sql.build()).await?;
    rows.iter()
        .map(|row| producer::Model::from_query_result(row, ""))
        .collect()
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

/// Resolves `"A > B > C"` (each step a name, abbreviation or alias under the previous one) or a
/// single name anywhere in the hierarchy.
pub async fn producer_by_path(
    conn: &impl ConnectionTrait,
    path: &str,
) -> Result<producer::Model, ProducerLookupError> {
    let steps: Vec<&str> = path.split(" > ").map(str::trim).collect();
    let mut parent: Option<i64> = None;
    let mut found = None;
    for (depth, step) in steps.iter().enumerate() {
        let scope = if steps.len() == 1 {
            None
        } else if depth == 0 {
            Some(None)
        } else {
            Some(parent)
        };
        let mut matches = producers_named(conn, step, scope).await?;
        if matches.len() > 1 && steps.len() == 1 {
            // A bare name: prefer the producer whose own name (not an alias) matches.
            let exact: Vec<_> = matches
                .iter()
                .filter(|p| p.name.eq_ignore_ascii_case(step))
                .cloned()
                .collect();
            if !exact.is_empty() {
                matches = exact;
            }
        }
        match matches.len() {
            0 => return Err(ProducerLookupError::NotFound(steps[..=depth].join(" > "))),
            1 => {
                let producer = matches.remove(0);
                parent = Some(producer.id);
                found = Some(producer);
            }
            n => {
                return Err(ProducerLookupError::Ambiguous {
                    name: step.to_string(),
                    candidates: n,
                });
            }
        }
    }
    found.ok_or_else(|| ProducerLookupError::NotFound(path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_keys_lose_their_prefixes() {
        assert_eq!(normalize_ncj("NCJ 216547"), "216547");
        assert_eq!(normalize_ncj("216547"), "216547");
        assert_eq!(normalize_study_number("ICPSR 20423"), "20423");
        assert_eq!(
            normalize_doi("https://doi.org/10.3886/ICPSR20423.v1"),
            "10.3886/ICPSR20423.v1"
        );
        assert_eq!(normalize_doi("doi:10.3886/x"), "10.3886/x");
    }
}
