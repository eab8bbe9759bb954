//! Loading records into the graph. Every format goes through one upsert path ([`upsert`]), one
//! transaction per run: a bad record stops the run with `FILE:LINE: field: reason` and leaves
//! the database as it was.

mod bulk;
pub mod csv_links;
pub mod dcat;
pub mod edits;
mod link_files;
pub mod native;
pub mod progress;
pub mod rejects;
mod repeated_keys;
pub mod run;
pub mod scholix;
pub mod upsert;
pub mod vectors;

use std::fmt;

/// A record that could not be loaded, located in its file.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
pub struct RecordError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub reason: String,
}

/// What an import wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub producers: usize,
    pub publications: usize,
    pub datasets: usize,
    pub links: usize,
    /// The records without natural keys it wrote, so that a later line is never found again
    /// as one of them.
    pub keyless: upsert::KeylessSeen,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} producers, {} publications, {} datasets, {} links",
            self.producers, self.publications, self.datasets, self.links
        )
    }
}

impl std::ops::AddAssign for Summary {
    fn add_assign(&mut self, other: Self) {
        self.producers += other.producers;
        self.publications += other.publications;
        self.datasets += other.datasets;
        self.links += other.links;
        self.keyless.extend(other.keyless);
    }
}

/// A file's text and the numbers of its lines that hold bytes which are not UTF-8 (shown in
/// the text as U+FFFD), so that a format can reject those lines' records and load the rest.
/// Lines end at LF, CRLF or a lone CR, as CSV rows do.
pub struct FileText {
    pub text: String,
    pub not_utf8: Vec<usize>,
}

impl FileText {
    pub fn read(path: &std::path::Path) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Self {
                text,
                not_utf8: Vec::new(),
            }),
            Err(err) => {
                let bytes = err.into_bytes();
                Ok(Self {
                    not_utf8: lines_not_utf8(&bytes),
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                })
            }
        }
    }
}

/// The first of `not_utf8` (line numbers, as [`FileText`] keeps them) from `first` to `last`
/// inclusive: a record spanning those lines holds bytes that are not UTF-8.
pub(crate) fn not_utf8_within(not_utf8: &[usize], first: usize, last: usize) -> Option<usize> {
    not_utf8
        .iter()
        .copied()
        .find(|line| (first..=last).contains(line))
}

/// Why a record on a line that is not UTF-8 is refused.
pub const NOT_UTF8: &str = "not valid UTF-8 text (save the file as UTF-8)";

/// The numbers of the lines of `bytes` that are not UTF-8.
fn lines_not_utf8(bytes: &[u8]) -> Vec<usize> {
    let mut bad = Vec::new();
    let (mut line, mut start) = (1, 0);
    let mut i = 0;
    while i <= bytes.len() {
        let end = i == bytes.len() || bytes[i] == b'\n' || bytes[i] == b'\r';
        if end {
            if std::str::from_utf8(&bytes[start..i]).is_err() {
                bad.push(line);
            }
            if i + 1 < bytes.len() && bytes[i] == b'\r' && bytes[i + 1] == b'\n' {
                i += 1;
            }
            line += 1;
            start = i + 1;
        }
        i += 1;
    }
    bad
}

/// Why a value holding the NUL character is refused.
pub(crate) const HOLDS_NUL: &str = "holds the NUL character (U+0000), which text may not contain";

/// The path of the first string under `value` holding the NUL character (PostgreSQL cannot
/// store it; the run failed there with a database error instead of a located one): every
/// format that reads JSON checks its records with it.
pub(crate) fn field_with_nul(value: &serde_json::Value, path: &str) -> Option<String> {
    let under = |name: &str| {
        if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    match value {
        serde_json::Value::String(text) => text.contains('\0').then(|| path.to_owned()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| field_with_nul(item, &format!("{path}[{i}]"))),
        serde_json::Value::Object(fields) => fields
            .iter()
            .find_map(|(name, item)| field_with_nul(item, &under(name))),
        _ => None,
    }
}

/// `text` without the UTF-8 byte-order mark some editors (and Excel) write at its start.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The record types of the native format, one of which each native line names in `"type"`.
const NATIVE_TYPES: [&str; 4] = ["producer", "publication", "dataset", "link"];

/// The format of a file from its first non-blank characters: a native file's first line is a
/// JSON object whose `"type"` is a native record type; a DCAT-US catalog is one JSON object with
/// a `dataset` array (or an array of datasets); Scholix links have `RelationshipType` and
/// `Source`; a CSV link sheet's header names `publication` and `dataset` columns.
pub fn guess_format(path: &std::path::Path) -> anyhow::Result<crate::config::ImportFormat> {
    use crate::config::ImportFormat;
    use anyhow::Context as _;
    use std::io::Read;
    let unreadable = || format!("cannot read {}", path.display());
    let first_line = first_line(path).with_context(unreadable)?;
    // An empty file (the export of an empty graph) holds no records: nothing to load.
    if is_native_record(&first_line) || first_line.is_empty() {
        return Ok(ImportFormat::Native);
    }
    let mut head = vec![0u8; 64 * 1024];
    let mut file = std::fs::File::open(path).with_context(unreadable)?;
    let read = file.read(&mut head).with_context(unreadable)?;
    let head = String::from_utf8_lossy(&head[..read]);
    let text = without_bom(&head).trim_start();
    // Scholix links (JSON Lines, an array or an API page) first: their
    // `"Type": {"Name": "dataset"}` would pass for a DCAT-US catalog.
    if text.contains("\"RelationshipType\"") && text.contains("\"Source\"") {
        return Ok(ImportFormat::Scholix);
    }
    // A CSV link sheet: a header row naming the publication and dataset columns, before the
    // JSON formats (a header of quoted names, as R and pandas write it, holds `"dataset"`).
    let header = first_line.to_ascii_lowercase();
    if !text.starts_with(['{', '[']) && header.contains("publication") && header.contains("dataset")
    {
        return Ok(ImportFormat::Csv);
    }
    if text.starts_with('[')
        || first_line.contains("\"conformsTo\"")
        || first_line.contains("\"dataset\"")
    {
        return Ok(ImportFormat::DcatUs);
    }
    if first_line.ends_with('}') && first_line.contains("\"type\"") {
        return Ok(ImportFormat::Native);
    }
    if text.starts_with('{') && !first_line.ends_with('}') {
        // A pretty-printed JSON document, not JSON Lines.
        return Ok(ImportFormat::DcatUs);
    }
    anyhow::bail!(
        "{}: cannot tell the format; pass --format native, dcat-us, scholix or csv",
        path.display()
    )
}

/// The first non-blank line of a file, whole however long, trimmed and without a byte-order
/// mark.
fn first_line(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(String::new());
        }
        let text = String::from_utf8_lossy(&line);
        let text = without_bom(&text).trim();
        if !text.is_empty() {
            return Ok(text.to_owned());
        }
    }
}

/// Whether `line` is a JSON object whose `"type"` is a native record type (other fields are
/// skipped unread).
fn is_native_record(line: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Typed {
        #[serde(rename = "type")]
        kind: Option<serde_json::Value>,
    }
    if !line.starts_with('{') {
        return false;
    }
    match serde_json::from_str::<Typed>(line) {
        Ok(typed) => typed
            .kind
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .is_some_and(|kind| NATIVE_TYPES.contains(&kind)),
        // A broken first record (cut off, a stray quote) is still a native line when it says
        // so, and is rejected as one: a catalog's first line is never a `"type"` field.
        Err(_) => names_native_type(line),
    }
}

/// Whether `line` holds `"type": "<a native record type>"` as text.
fn names_native_type(line: &str) -> bool {
    line.match_indices("\"type\"").any(|(at, key)| {
        let rest = line[at + key.len()..].trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            return false;
        };
        let rest = rest.trim_start();
        NATIVE_TYPES
            .iter()
            .any(|kind| rest.starts_with(&format!("\"{kind}\"")))
    })
}

/// Commits the run's transaction (raising the graph's revision, [`crate::db::revision`]) when
/// `result` is a success, else rolls it back before returning, so a failed run releases
/// SQLite's write lock at once rather than whenever its pooled connection is next used.
pub async fn settle<T, E: From<sea_orm::DbErr>>(
    txn: sea_orm::DatabaseTransaction,
    result: Result<T, E>,
) -> Result<T, E> {
    match result {
        Ok(value) => {
            crate::db::revision::commit_write(txn).await?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = txn.rollback().await {
                tracing::warn!(%rollback, "could not roll back a failed import");
            }
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lines_not_utf8;

    #[test]
    fn a_broken_first_line_that_names_a_native_type_is_native() {
        use super::is_native_record;
        assert!(is_native_record(
            r#"{"type":"publication","ncjNumber":"91","title":"cut off"#
        ));
        assert!(is_native_record(
            r#"{"ncjNumber": 1, "type" : "link", oops}"#
        ));
        assert!(!is_native_record(
            r#"{"@type": "dcat:Catalog", "dataset": ["#
        ));
        assert!(!is_native_record(r#"{"type": "Catalog", "dataset": ["#));
    }

    #[test]
    fn finds_the_lines_that_are_not_utf8() {
        assert_eq!(lines_not_utf8(b"a\nb\xfc\nc"), [2]);
        assert_eq!(lines_not_utf8(b"\xfc\r\nok\rM\xfcller\r\n\xc3\xbc"), [1, 3]);
        assert!(lines_not_utf8("ü\n".as_bytes()).is_empty());
    }
}
