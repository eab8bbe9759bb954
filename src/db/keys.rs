//! Natural keys as people and catalogs write them: NCJ and study numbers without their
//! prefixes and leading zeros, DOIs without resolver prefixes and compared without regard to
//! ASCII case; the lenient forms importers read and the strict ones mutations accept.

use sea_orm::DatabaseBackend;

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
    let well_formed = doi
        .strip_prefix("10.")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(registrant, suffix)| {
            // The registrant code is digits, subdivided by dots ("10.1000.10/…").
            registrant
                .split('.')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                && !suffix.is_empty()
                && !suffix.chars().any(|c| c.is_whitespace() || c.is_control())
        });
    if well_formed {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        for malformed in [
            "not a doi",
            "10.3886",
            "11.1/x",
            "doi:",
            "10./abc",
            "10.5555/",
            "10.x/y",
            "10.5555/a b",
            "10.1..2/x",
        ] {
            assert!(parse_doi(malformed).is_err(), "{malformed}");
        }
        assert_eq!(parse_doi("10.1000.10/a/b").as_deref(), Ok("10.1000.10/a/b"));
    }
}
