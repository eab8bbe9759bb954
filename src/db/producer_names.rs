//! Producer names written as one string, split into their hierarchy (catalogs write them so:
//! ICPSR with periods, NCJRS with commas); read by the lookup of a producer by name.

/// Words that end with a period without ending a name ("U.S." is caught by its inner period,
/// initials by their single letter).
const ABBREVIATIONS: &[&str] = &[
    "inc", "co", "corp", "ltd", "llc", "dept", "dep", "univ", "st", "ste", "jr", "sr", "dr", "mr",
    "mrs", "ms", "prof", "no", "nos", "assn", "assoc", "natl", "nat", "intl", "int", "bros", "mt",
    "ft", "ave", "govt", "gov", "admin", "div", "inst", "ctr", "etc", "vs",
];

/// Words that make a comma-separated piece a unit of its own ("…, Office of Justice Programs")
/// rather than part of the name before it ("…, San Francisco", "…, Tobacco, Firearms and
/// Explosives").
const UNIT_WORDS: &[&str] = &[
    "academy",
    "administration",
    "agency",
    "archive",
    "archives",
    "association",
    "authority",
    "board",
    "branch",
    "bureau",
    "bureaus",
    "census",
    "center",
    "centers",
    "centre",
    "centres",
    "college",
    "commission",
    "committee",
    "company",
    "consortium",
    "corporation",
    "council",
    "court",
    "courts",
    "department",
    "departments",
    "directorate",
    "division",
    "foundation",
    "group",
    "hospital",
    "institute",
    "institutes",
    "institution",
    "laboratory",
    "laboratories",
    "ministry",
    "office",
    "offices",
    "police",
    "program",
    "programme",
    "programs",
    "project",
    "school",
    "section",
    "service",
    "services",
    "society",
    "survey",
    "unit",
    "university",
];

/// Last words that make a piece a place even with a unit word ("College Park").
const PLACE_WORDS: &[&str] = &["park", "station", "heights", "city"];

/// Splits a producer written as one string into its hierarchy, root first:
/// ICPSR's periods ("United States Department of Justice. Office of Justice Programs. National
/// Institute of Justice") and NCJRS's commas ("United States Department of Justice, National
/// Institute of Justice") alike. A period ends a level only before a capital and not after an
/// abbreviation ("U.S.", "Inc.", an initial); a comma does only before a piece that names a unit
/// (a word such as Office, Bureau, Institute, Division, University, not a place such as
/// "College Park"), so "University of California, San Francisco", "Bureau of Alcohol, Tobacco,
/// Firearms and Explosives" and "Westat, Inc." stay whole.
pub fn split_producer_name(text: &str) -> Vec<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    split_on_periods(&text)
        .iter()
        .flat_map(|segment| split_on_commas(segment))
        .filter(|part| !part.is_empty())
        .collect()
}

fn split_on_periods(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(at, c)) in chars.iter().enumerate() {
        if c != '.' {
            continue;
        }
        let word_start = text[..at].rfind(' ').map_or(0, |s| s + 1);
        let word = &text[word_start.max(start)..at];
        if is_abbreviation(word) {
            continue;
        }
        match chars.get(k + 1) {
            // The end: drop the final period.
            None => {
                out.push(text[start..at].trim().to_owned());
                start = text.len();
            }
            Some((_, ' ')) => {
                let next = chars.get(k + 2).map(|&(_, c)| c);
                if next.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()) {
                    out.push(text[start..at].trim().to_owned());
                    start = at + 1;
                }
            }
            Some(_) => {}
        }
    }
    if start < text.len() {
        out.push(text[start..].trim().to_owned());
    }
    out.retain(|s| !s.is_empty());
    out
}

fn is_abbreviation(word: &str) -> bool {
    let word = word.trim_start_matches(['(', '[', '"', '\'']);
    if word.is_empty() || word.contains('.') {
        return true;
    }
    let mut letters = word.chars();
    if let (Some(c), None) = (letters.next(), letters.next())
        && c.is_alphabetic()
    {
        return true; // an initial
    }
    ABBREVIATIONS.contains(&word.to_lowercase().as_str())
}

fn split_on_commas(segment: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in segment.split(',').map(str::trim) {
        match out.last_mut() {
            Some(last) if !is_unit(piece) => {
                last.push_str(", ");
                last.push_str(piece);
            }
            _ => out.push(piece.to_owned()),
        }
    }
    out
}

fn is_unit(piece: &str) -> bool {
    if !piece.starts_with(|c: char| c.is_uppercase()) {
        return false;
    }
    let words: Vec<String> = piece
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let Some(last) = words.last() else {
        return false;
    };
    words.iter().any(|w| UNIT_WORDS.contains(&w.as_str())) && !PLACE_WORDS.contains(&last.as_str())
}
