//! How a snippet's matched words are marked: the databases put a start and a stop mark around
//! them, and the snippet is then escaped as HTML before the marks become `<mark>` tags (a title
//! holding `<mark>` or `<img …>` came back as markup on SQLite, unescaped; PostgreSQL's
//! `ts_headline` drops tag-shaped text itself).
//!
//! A mark is a sequence of sixteen characters of Unicode's private use area drawn at random when
//! the process starts, not one fixed character: a record's own text may hold any character, and
//! with fixed marks a title holding them came back with a `<mark>` of its choosing. Its text
//! cannot hold a sequence it never sees (the marks never leave the process).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::LazyLock;

/// The start and stop marks of this process.
pub struct Marks {
    pub start: String,
    pub stop: String,
}

/// The first character marks are written with (each carries four random bits above it).
const PRIVATE_USE: u32 = 0xE000;

static MARKS: LazyLock<Marks> = LazyLock::new(|| {
    let start = random_mark(0);
    let mut stop = random_mark(1);
    while stop == start {
        stop = random_mark(2);
    }
    Marks { start, stop }
});

/// Sixteen private-use characters carrying 64 random bits (std's hasher keys are drawn from the
/// operating system's randomness for every new `RandomState`).
fn random_mark(salt: u64) -> String {
    let bits = RandomState::new().hash_one(salt);
    (0..16)
        .map(|i| {
            char::from_u32(PRIVATE_USE + ((bits >> (i * 4)) & 0xF) as u32).unwrap_or('\u{E000}')
        })
        .collect()
}

/// The marks the databases are asked to write.
pub fn marks() -> &'static Marks {
    &MARKS
}

/// A snippet as HTML: its text escaped, its words between `marks` in `<mark>…</mark>`.
pub fn marked_html(snippet: &str, marks: &Marks) -> String {
    let mut html = String::with_capacity(snippet.len() + 16);
    let mut rest = snippet;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(marks.start.as_str()) {
            html.push_str("<mark>");
            rest = after;
        } else if let Some(after) = rest.strip_prefix(marks.stop.as_str()) {
            html.push_str("</mark>");
            rest = after;
        } else {
            let c = rest.chars().next().unwrap_or_default();
            match c {
                '&' => html.push_str("&amp;"),
                '<' => html.push_str("&lt;"),
                '>' => html.push_str("&gt;"),
                '"' => html.push_str("&quot;"),
                '\'' => html.push_str("&#39;"),
                c => html.push(c),
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_escaped_before_their_marks_become_tags() {
        let m = marks();
        let snippet = format!(
            "{}Wombat{} of <mark>fake</mark> & \"x\" < y",
            m.start, m.stop
        );
        assert_eq!(
            marked_html(&snippet, m),
            "<mark>Wombat</mark> of &lt;mark&gt;fake&lt;/mark&gt; &amp; &quot;x&quot; &lt; y"
        );
    }

    #[test]
    fn private_use_text_is_no_mark() {
        let m = marks();
        assert_eq!(m.start.chars().count(), 16);
        assert_ne!(m.start, m.stop);
        // One private-use character, or a few of them, as a record's text may hold.
        let snippet = format!("\u{E000}forged\u{E001} {}real{}", m.start, m.stop);
        assert_eq!(
            marked_html(&snippet, m),
            "\u{E000}forged\u{E001} <mark>real</mark>"
        );
    }
}
