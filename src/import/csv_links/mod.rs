//! CSV link sheets for curators: one publication↔dataset link per row, between records that are
//! already loaded. Documented in `docs/import-format.md`.
//!
//! ```text
//! publication,dataset,relation_type,source,linked_on
//! NCJ 216547,ICPSR 20423,IS_RELATED_TO,NCJRS,2011-06-13
//! 10.1111/j.1745-9125.2003.tb00986.x,10.3886/ICPSR03151.v2,References,"Engel, R.",
//! ```
//!
//! - The header row names the columns, in any order, ignoring case, spaces, `_` and `-`
//!   (`relation_type`, `Relation Type`, `relationType`): `publication`, `dataset` and
//!   `relation_type` are required, `source` and `linked_on` optional; any other column is an
//!   error (a misspelled `linked_on` must not be dropped silently). A column without a name
//!   (spreadsheets add them: `a,b,c,,`) is allowed while it stays empty.
//! - `publication` is an NCJ number (`NCJ 216547`, `216547`) or a DOI; `dataset` an ICPSR study
//!   number (`ICPSR 20423`, `20423`, `06999`) or a DOI (with or without `https://doi.org/`).
//!   A key is one word (synthetic records have keys like `SYN-0001`). Both records must exist.
//! - `relation_type` is one of our relation types, ignoring case, spaces and `_`; so the Scholix
//!   names (`References`, `IsSupplementTo`, …) work as they are.
//! - `linked_on` is `YYYY-MM-DD` or empty.
//! - RFC 4180 quoting: a field in double quotes may hold commas, line breaks and `""` for a
//!   quote. A header without commas but with tabs or semicolons (a spreadsheet's TSV or
//!   European CSV) sets that separator instead. Blank rows are skipped.
//!
//! One transaction per run; a bad row stops it with `FILE:LINE: column: reason` (LINE is where
//! the row starts) and nothing is written; with `--skip-invalid` the bad rows are left out and
//! kept with their reasons (a bad header, or quoting that cannot be read, still stops the run:
//! the rows cannot be told apart). Re-importing a sheet changes nothing.

mod rfc4180;

use std::path::PathBuf;

use sea_orm::DatabaseTransaction;

use super::link_files::{self, LinkFormat};
use super::native::ImportError;
use super::rejects::Records;
use super::upsert::{self, KeyInput, UpsertError, invalid};
use super::{NOT_UTF8, RecordError, Summary};
use crate::db::Db;
use crate::db::lookup::{normalize_doi, normalize_ncj, normalize_study_number};
use crate::graphql::types::common::RelationType;
use rfc4180::{read_records, write_row};

/// Loads one sheet (named `name` in errors) in its own transaction.
pub async fn import_str(db: &Db, name: &str, text: &str) -> Result<Summary, ImportError> {
    link_files::import_str::<Sheet>(db, name, text).await
}

/// Loads sheets in order inside the caller's transaction (the command line's run), leaving out
/// and keeping bad rows when `records` skips them.
pub async fn load_files(
    txn: &DatabaseTransaction,
    files: &[PathBuf],
    records: &mut Records,
) -> anyhow::Result<Summary> {
    link_files::load_files::<Sheet>(txn, files, records).await
}

/// CSV link sheets as a [`LinkFormat`].
struct Sheet;

impl LinkFormat for Sheet {
    type Record = SheetRow;

    fn parse(
        name: &str,
        text: &str,
        _skip_unreadable: bool,
        not_utf8: &[usize],
    ) -> Result<Vec<SheetRow>, RecordError> {
        parse_sheet(name, text, not_utf8)
    }

    async fn load(
        txn: &DatabaseTransaction,
        name: &str,
        rows: Vec<SheetRow>,
        summary: &mut Summary,
        kept: &mut Records,
    ) -> Result<(), ImportError> {
        load_into(txn, name, rows, summary, kept).await
    }
}

/// One data row of a sheet: where it starts, its text (for a rejects file), and its columns or
/// why they cannot be read `(field, reason)`.
struct SheetRow {
    line: usize,
    text: String,
    columns: Result<LinkRow, (String, String)>,
}

/// One data row, by column.
struct LinkRow {
    publication: Option<String>,
    dataset: Option<String>,
    relation_type: Option<String>,
    /// `None` when the sheet has no such column (an existing link keeps its own).
    source: upsert::LinkValue<String>,
    linked_on: upsert::LinkValue<String>,
}

async fn load_into(
    txn: &DatabaseTransaction,
    name: &str,
    rows: Vec<SheetRow>,
    summary: &mut Summary,
    records: &mut Records,
) -> Result<(), ImportError> {
    for SheetRow {
        line,
        text,
        columns,
    } in rows
    {
        let at = |field: String, reason: String| RecordError {
            file: name.to_owned(),
            line,
            field,
            reason,
        };
        let row = match columns {
            Ok(row) => row,
            Err((field, reason)) => {
                records.refuse(at(field, reason), text)?;
                continue;
            }
        };
        let written = records
            .write(txn, at, || text, async |txn| apply(txn, row).await)
            .await?;
        if written == Some(true) {
            summary.links += 1;
        }
    }
    Ok(())
}

/// Links one row's records; whether the link is new.
async fn apply(txn: &DatabaseTransaction, row: LinkRow) -> Result<bool, UpsertError> {
    let publication = row
        .publication
        .ok_or_else(|| invalid(PUBLICATION, "missing"))?;
    let dataset = row.dataset.ok_or_else(|| invalid(DATASET, "missing"))?;
    let relation = row
        .relation_type
        .ok_or_else(|| invalid(RELATION_TYPE, "missing"))?;
    let publication = publication_key(&publication)?;
    let dataset = dataset_key(&dataset)?;
    let relation_type = parse_relation_type(&relation).ok_or_else(|| {
        invalid(
            RELATION_TYPE,
            format!(
                "unknown relation type \"{relation}\": one of IS_RELATED_TO, REFERENCES, IS_REFERENCED_BY, IS_SUPPLEMENT_TO, IS_SUPPLEMENTED_BY, DOCUMENTS"
            ),
        )
    })?;
    let linked_on = match row.linked_on {
        Some(Some(text)) => {
            Some(Some(crate::dates::parse_day(&text).ok_or_else(|| {
                invalid(LINKED_ON, crate::dates::not_a_day(&text))
            })?))
        }
        Some(None) => Some(None),
        None => None,
    };
    let input = upsert::LinkInput {
        publication,
        dataset,
        relation_type: relation_type.as_db().to_owned(),
        source: row.source,
        linked_on,
    };
    // upsert::link names the key (`publication.ncjNumber`); the sheet has one column for both.
    upsert::link(txn, input).await.map_err(|err| match err {
        UpsertError::Invalid { field, reason } => {
            let column = field.split('.').next().unwrap_or(&field).to_owned();
            UpsertError::Invalid {
                field: column,
                reason: format!("{reason} (load it before linking it)"),
            }
        }
        other => other,
    })
}

const PUBLICATION: &str = "publication";
const DATASET: &str = "dataset";
const RELATION_TYPE: &str = "relation_type";
const SOURCE: &str = "source";
const LINKED_ON: &str = "linked_on";
const COLUMNS: [&str; 5] = [PUBLICATION, DATASET, RELATION_TYPE, SOURCE, LINKED_ON];
/// A header column without a name (its values must be empty).
const UNNAMED: &str = "";

/// A DOI (`10.…/…`, with or without a resolver prefix).
fn as_doi(value: &str) -> Option<String> {
    let doi = normalize_doi(value);
    (doi.starts_with("10.") && doi.split_once('/').is_some_and(|(_, s)| !s.is_empty()))
        .then_some(doi)
}

/// An NCJ or study number: `216547`, or a synthetic record's `SYN-0001`; one word.
fn is_key(value: &str) -> bool {
    !value.is_empty() && !value.contains(char::is_whitespace)
}

fn publication_key(value: &str) -> Result<KeyInput, UpsertError> {
    if let Some(doi) = as_doi(value) {
        return Ok(KeyInput {
            field: PUBLICATION,
            column: "doi",
            value: doi,
        });
    }
    let ncj = normalize_ncj(value);
    if !is_key(&ncj) {
        return Err(invalid(
            PUBLICATION,
            format!("\"{value}\" is not an NCJ number (NCJ 216547) or a DOI"),
        ));
    }
    Ok(KeyInput {
        field: PUBLICATION,
        column: "ncj_number",
        value: ncj,
    })
}

fn dataset_key(value: &str) -> Result<KeyInput, UpsertError> {
    if let Some(doi) = as_doi(value) {
        return Ok(KeyInput {
            field: DATASET,
            column: "doi",
            value: doi,
        });
    }
    let number = normalize_study_number(value);
    if !is_key(&number) {
        return Err(invalid(
            DATASET,
            format!("\"{value}\" is not an ICPSR study number (ICPSR 20423) or a DOI"),
        ));
    }
    Ok(KeyInput {
        field: DATASET,
        column: "study_number",
        value: number,
    })
}

/// `IS_SUPPLEMENT_TO`, `is_supplement_to`, `IsSupplementTo`, `is supplement to`.
fn parse_relation_type(text: &str) -> Option<RelationType> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let wanted = squash(text);
    [
        RelationType::IsRelatedTo,
        RelationType::References,
        RelationType::IsReferencedBy,
        RelationType::IsSupplementTo,
        RelationType::IsSupplementedBy,
        RelationType::Documents,
    ]
    .into_iter()
    .find(|r| squash(r.as_db()) == wanted)
}

/// `relation_type`, `Relation Type`, `relationType` → `relationtype`.
fn column_key(header: &str) -> String {
    header
        .trim()
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The header and data rows of a sheet, by column.
/// Rows on a line in `not_utf8` are refused; a header there is an error.
fn parse_sheet(name: &str, text: &str, not_utf8: &[usize]) -> Result<Vec<SheetRow>, RecordError> {
    let error = |line: usize, field: &str, reason: String| RecordError {
        file: name.to_owned(),
        line,
        field: field.to_owned(),
        reason,
    };
    let text = crate::import::without_bom(text);
    // Rows end at LF, CRLF or CR (Excel's "CSV (Macintosh)"): with `lines()` a CR-only sheet
    // was one "line", and a comma in any row chose the wrong separator for its header.
    let header_line = text
        .split(['\n', '\r'])
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let separator = if !header_line.contains(',') && header_line.contains('\t') {
        '\t'
    } else if !header_line.contains(',') && header_line.contains(';') {
        ';'
    } else {
        ','
    };
    let records =
        read_records(text, separator).map_err(|(line, reason)| error(line, "record", reason))?;
    let mut records = records
        .into_iter()
        .filter(|(_, fields)| fields.iter().any(|f| !f.trim().is_empty()));
    let Some((header_at, header)) = records.next() else {
        return Ok(Vec::new());
    };
    // A row spans its start line and one more per line break inside its quoted fields.
    let not_utf8_within = |line: usize, fields: &[String]| {
        let breaks: usize = fields.iter().map(|f| f.matches('\n').count()).sum();
        super::not_utf8_within(not_utf8, line, line + breaks).is_some()
    };
    if not_utf8_within(header_at, &header) {
        return Err(error(header_at, "record", NOT_UTF8.into()));
    }
    // Which of our columns each sheet column is.
    let mut columns: Vec<&'static str> = Vec::with_capacity(header.len());
    for title in &header {
        // Spreadsheets write empty columns past the last one (`a,b,c,,`): kept, and empty.
        if title.trim().is_empty() {
            columns.push(UNNAMED);
            continue;
        }
        let key = column_key(title);
        let Some(column) = COLUMNS.iter().find(|c| column_key(c) == key) else {
            return Err(error(
                header_at,
                title.trim(),
                format!("unknown column: the columns are {}", COLUMNS.join(", ")),
            ));
        };
        if columns.contains(column) {
            return Err(error(header_at, column, "column given twice".into()));
        }
        columns.push(column);
    }
    for required in [PUBLICATION, DATASET, RELATION_TYPE] {
        if !columns.contains(&required) {
            return Err(error(header_at, required, "missing column".into()));
        }
    }
    let mut rows = Vec::new();
    for (line, fields) in records {
        let text = write_row(&fields, separator);
        if not_utf8_within(line, &fields) {
            rows.push(SheetRow {
                line,
                text,
                columns: Err(("record".into(), NOT_UTF8.into())),
            });
            continue;
        }
        let unnamed_value = columns
            .iter()
            .zip(&fields)
            .any(|(column, field)| *column == UNNAMED && !field.trim().is_empty());
        if unnamed_value {
            rows.push(SheetRow {
                line,
                text,
                columns: Err((
                    "record".into(),
                    "a value under a column the header gives no name".into(),
                )),
            });
            continue;
        }
        if fields.len() > columns.len()
            && fields[columns.len()..].iter().any(|f| !f.trim().is_empty())
        {
            let reason = format!(
                "{} fields, but the header has {} columns (quote fields that hold commas)",
                fields.len(),
                columns.len()
            );
            rows.push(SheetRow {
                line,
                text,
                columns: Err(("record".into(), reason)),
            });
            continue;
        }
        let mut row = LinkRow {
            publication: None,
            dataset: None,
            relation_type: None,
            source: None,
            linked_on: None,
        };
        if let Some((column, _)) = columns
            .iter()
            .zip(&fields)
            .find(|(_, value)| value.contains('\0'))
        {
            rows.push(SheetRow {
                line,
                text,
                columns: Err(((*column).to_owned(), crate::import::HOLDS_NUL.into())),
            });
            continue;
        }
        for (column, value) in columns.iter().zip(fields) {
            let value = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
            match *column {
                PUBLICATION => row.publication = value,
                DATASET => row.dataset = value,
                RELATION_TYPE => row.relation_type = value,
                SOURCE => row.source = Some(value),
                LINKED_ON => row.linked_on = Some(value),
                _ => {}
            }
        }
        rows.push(SheetRow {
            line,
            text,
            columns: Ok(row),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_types_ignore_case_and_style() {
        assert_eq!(
            parse_relation_type("References"),
            Some(RelationType::References)
        );
        assert_eq!(
            parse_relation_type("is_supplemented_by"),
            Some(RelationType::IsSupplementedBy)
        );
        assert_eq!(
            parse_relation_type("IsRelatedTo"),
            Some(RelationType::IsRelatedTo)
        );
        assert_eq!(parse_relation_type("Cites"), None);
        assert_eq!(column_key("Relation Type"), column_key("relation_type"));
    }
}
