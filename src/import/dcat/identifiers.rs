//! Keys from identifiers and links: a DOI, an ICPSR study number and an ICPSR DOI's version.

use crate::db::lookup::normalize_doi;

/// A DOI in an identifier (`10.3886/…`, `doi:10.…`) or a resolver or publisher link
/// (`https://doi.org/10.…`, `…/doi/10.…`), without query or fragment.
pub(super) fn find_doi(text: &str) -> Option<String> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let start = if lower.starts_with("10.") {
        0
    } else {
        ["doi.org/10.", "doi:10.", "doi: 10.", "/doi/10."]
            .iter()
            .find_map(|marker| lower.find(marker).map(|at| at + marker.len() - 3))?
    };
    let candidate = &text[start..];
    let end = candidate
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>' | '?' | '#'))
        .unwrap_or(candidate.len());
    let doi = candidate[..end].trim_end_matches(['.', ',', ';', ')']);
    let (prefix, suffix) = doi.split_once('/')?;
    let registrant = prefix.strip_prefix("10.")?;
    let digits = registrant.split('.').next().unwrap_or("");
    if digits.len() < 4 || !registrant.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if suffix.is_empty() {
        return None;
    }
    Some(normalize_doi(doi))
}

/// `ICPSR20423`, `ICPSR 20423`, `ICPSR06999` (→ `6999`), or an ICPSR study page
/// (`https://www.icpsr.umich.edu/web/NACJD/studies/20423`).
pub(super) fn find_study_number(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("icpsr") {
        let rest = &lower[from + at + 5..];
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        if let Some(number) = leading_number(rest) {
            return Some(number);
        }
        from += at + 5;
    }
    if lower.contains("icpsr.umich.edu") {
        let at = lower.find("/studies/")?;
        return leading_number(&lower[at + "/studies/".len()..]);
    }
    None
}

/// The digits at the start of `text` (at least 3, not followed by a letter), without leading
/// zeros.
fn leading_number(text: &str) -> Option<String> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let next = text[digits.len()..].chars().next();
    if digits.len() < 3 || next.is_some_and(|c| c.is_ascii_alphabetic() && c != 'v') {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// `v1` from an ICPSR DOI `10.3886/ICPSR20423.v1`.
pub(super) fn icpsr_version(doi: &str) -> Option<String> {
    if !doi.to_ascii_lowercase().starts_with("10.3886/icpsr") {
        return None;
    }
    let (_, version) = doi.rsplit_once('.')?;
    let number = version.strip_prefix(['v', 'V'])?;
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())).then(|| format!("v{number}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_dois_and_study_numbers() {
        assert_eq!(
            find_doi("https://doi.org/10.3886/ICPSR03151.v2").as_deref(),
            Some("10.3886/ICPSR03151.v2")
        );
        assert_eq!(find_doi("doi:10.1234/abc.").as_deref(), Some("10.1234/abc"));
        assert_eq!(find_doi("https://www.justice.gov/file/10.1234/x"), None);
        assert_eq!(find_doi("4092"), None);
        assert_eq!(
            find_study_number("10.3886/ICPSR03151.v2").as_deref(),
            Some("3151")
        );
        assert_eq!(find_study_number("ICPSR 20423").as_deref(), Some("20423"));
        assert_eq!(
            find_study_number("https://www.icpsr.umich.edu/web/NACJD/studies/20423").as_deref(),
            Some("20423")
        );
        assert_eq!(find_study_number("https://www.justice.gov/icpsr"), None);
        assert_eq!(
            icpsr_version("10.3886/ICPSR03151.v2").as_deref(),
            Some("v2")
        );
    }
}
