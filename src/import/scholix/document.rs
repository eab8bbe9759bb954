//! Reading a Scholix document: JSON Lines, a JSON array or an API page, and the line where each
//! link starts (serde_json keeps no positions).

use std::collections::HashMap;

use serde_json::Value;

use super::record::get;
use crate::import::RecordError;
use crate::import::repeated_keys::{Checked, GIVEN_TWICE, Step, field_path};

/// One link and where it is: its start line and, inside an array, its element path.
pub(super) struct Located {
    pub(super) line: usize,
    pub(super) element: String,
    /// The link, or why its text is not JSON (only in runs that skip bad records).
    pub(super) value: Result<Value, Unreadable>,
    /// The first key the link gives twice (its path in the link): JSON keeps only the last
    /// value, so the link is refused.
    pub(super) repeated: Option<String>,
}

/// A value of JSON Lines that is not JSON: why, and its text up to the next line that starts
/// a record.
pub(super) struct Unreadable {
    pub(super) reason: String,
    pub(super) text: String,
}

pub(super) fn element_field(element: &str, field: &str) -> String {
    match (element.is_empty(), field.is_empty()) {
        (true, true) => "record".to_owned(),
        (true, false) => field.to_owned(),
        (false, true) => element.to_owned(),
        (false, false) => format!("{element}.{field}"),
    }
}

/// The links of a document: JSON Lines (or any sequence of JSON values), each value a link, an
/// array of links, or an API page whose `result` (or `links`) array holds them. Text that is not
/// JSON stops the reading, except, when `skip_unreadable`, a value that starts a line and is
/// not an array (as in JSON Lines): it becomes an [`Unreadable`] value and reading goes on at
/// the next line that starts with `{`.
///
/// A link on a line in `not_utf8` is [`Unreadable`] too (in any run: a run that does not skip
/// bad records stops there, naming the line); inside an array, such a line stops the reading.
pub(super) fn parse_document(
    name: &str,
    text: &str,
    skip_unreadable: bool,
    not_utf8: &[usize],
) -> Result<Vec<Located>, RecordError> {
    let text = crate::import::without_bom(text);
    let error = |line: usize, field: &str, reason: String| RecordError {
        file: name.to_owned(),
        line,
        field: field.to_owned(),
        reason,
    };
    let mut lines = LineCounter::new(text);
    let mut links = Vec::new();
    // Where the values being read start in `text` (it moves on past unreadable ones).
    let mut base = 0;
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Checked>();
    loop {
        let before = base + stream.byte_offset();
        let start = before
            + text[before..]
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(text.len() - before);
        let Checked {
            value,
            mut repeated,
        } = match stream.next() {
            None => break,
            Some(Ok(checked)) => checked,
            Some(Err(err)) => {
                let line = lines.line_at(start);
                let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
                let starts_line = text[line_start..start].trim().is_empty();
                let resume = next_record_line(text, start);
                // A value of JSON Lines (not an array, whose links cannot be told apart).
                if skip_unreadable && starts_line && !text[start..].starts_with('[') {
                    links.push(Located {
                        line,
                        element: String::new(),
                        value: Err(Unreadable {
                            reason: without_position(&err),
                            text: text[start..resume].trim_end().to_owned(),
                        }),
                        repeated: None,
                    });
                    base = resume;
                    stream = serde_json::Deserializer::from_str(&text[base..]).into_iter();
                    continue;
                }
                // serde_json counts lines from `base`. When it noticed the error in the next
                // record (a line cut off ran into it), the record that is wrong is this one.
                let noticed = match err.line() {
                    0 => line,
                    counted => text[..base].matches('\n').count() + counted,
                };
                let next_record = line + text[start..resume].matches('\n').count();
                let line = if resume < text.len() && noticed >= next_record {
                    line
                } else {
                    noticed
                };
                return Err(error(line, "record", without_position(&err)));
            }
        };
        keys_repeated_in_other_case(&value, &mut Vec::new(), &mut repeated);
        let end = base + stream.byte_offset();
        let line = lines.line_at(start);
        let segment = &text[start..end];
        let last_line = line + segment.matches('\n').count();
        let bad_line = crate::import::not_utf8_within(not_utf8, line, last_line);
        let (array, key) = match &value {
            Value::Array(_) => (Some(&value), None),
            Value::Object(map)
                if get(&value, "Source").is_none() && get(&value, "Target").is_none() =>
            {
                match ["result", "links"]
                    .into_iter()
                    .find(|k| matches!(map.get(*k), Some(Value::Array(_))))
                {
                    Some(k) => (map.get(k), Some(k)),
                    None => {
                        let reason =
                            "not a Scholix link (no Source and Target) nor a list of links";
                        // One value of JSON Lines is one record: with --skip-invalid, rejected
                        // alone like a link that cannot be read.
                        if skip_unreadable && bad_line.is_none() {
                            links.push(Located {
                                line,
                                element: String::new(),
                                value: Err(Unreadable {
                                    reason: reason.into(),
                                    text: segment.to_owned(),
                                }),
                                repeated: None,
                            });
                            continue;
                        }
                        return Err(error(line, "record", reason.into()));
                    }
                }
            }
            _ => (None, None),
        };
        match (array, bad_line) {
            (Some(_), Some(bad)) => {
                return Err(error(bad, "record", crate::import::NOT_UTF8.into()));
            }
            (None, Some(_)) => links.push(Located {
                line,
                element: String::new(),
                value: Err(Unreadable {
                    reason: crate::import::NOT_UTF8.into(),
                    text: segment.to_owned(),
                }),
                repeated: None,
            }),
            (Some(Value::Array(elements)), None) => {
                let mut repeated_in = repeated_by_element(&repeated, key)
                    .map_err(|path| error(line, &path, GIVEN_TWICE.into()))?;
                let starts = element_starts(segment, key);
                for (index, element) in elements.iter().enumerate() {
                    let at = starts.get(index).map_or(start, |offset| start + offset);
                    links.push(Located {
                        line: lines.line_at(at),
                        element: format!("{}[{index}]", key.unwrap_or("")),
                        value: Ok(element.clone()),
                        repeated: repeated_in.remove(&index),
                    });
                }
            }
            _ => links.push(Located {
                line,
                element: String::new(),
                value: Ok(value),
                repeated: repeated.first().map(|path| field_path(path)),
            }),
        }
    }
    Ok(links)
}

/// Notes in `repeated` each key of `value`'s objects that another key of its object spells in
/// other case ("source" beside "Source"): Scholix fields are read ignoring case, so one of the
/// two would be dropped silently, as with a key given twice.
fn keys_repeated_in_other_case(value: &Value, path: &mut Vec<Step>, repeated: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(map) => {
            let mut seen = std::collections::HashSet::new();
            for (key, item) in map {
                if !seen.insert(key.to_ascii_lowercase()) {
                    let mut at = path.clone();
                    at.push(Step::Key(key.clone()));
                    repeated.push(at);
                }
                path.push(Step::Key(key.clone()));
                keys_repeated_in_other_case(item, path, repeated);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(Step::Index(index));
                keys_repeated_in_other_case(item, path, repeated);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The first key each element of a list of links repeats (its path in the element), by the
/// element's index: the elements of the value itself when `key` is `None`, else of the array
/// under the page's `key`. A key repeated outside the links is `Err(its path)`.
fn repeated_by_element(
    repeated: &[Vec<Step>],
    key: Option<&str>,
) -> Result<HashMap<usize, String>, String> {
    let mut by_element = HashMap::new();
    for path in repeated {
        let in_list = match (key, path.split_first()) {
            (None, _) => Some(path.as_slice()),
            (Some(key), Some((Step::Key(name), rest))) if name == key => Some(rest),
            _ => None,
        };
        match in_list.and_then(|steps| steps.split_first()) {
            Some((Step::Index(index), rest)) if !rest.is_empty() => {
                by_element.entry(*index).or_insert_with(|| field_path(rest));
            }
            _ => return Err(field_path(path)),
        }
    }
    Ok(by_element)
}

/// Where the first line after the one at `start` that starts with `{` begins (the text's end
/// when there is none).
fn next_record_line(text: &str, start: usize) -> usize {
    let mut offset = start;
    while let Some(newline) = text[offset..].find('\n') {
        offset += newline + 1;
        if text[offset..].starts_with('{') {
            return offset;
        }
    }
    text.len()
}

/// serde_json appends " at line L column C", which only repeats the line we name.
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    text.split(" at line ").next().unwrap_or(&text).to_owned()
}

/// Line numbers of byte offsets, asked for in increasing order.
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: usize) -> usize {
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let offset = offset.min(self.text.len());
        self.line += self.text.as_bytes()[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = offset;
        self.line
    }
}

/// Byte offsets (in `json`, one valid JSON value) where the elements of its array start: the
/// value itself when `key` is `None`, else the array under the top-level object's `key`.
fn element_starts(json: &str, key: Option<&str>) -> Vec<usize> {
    let bytes = json.as_bytes();
    let target_depth = if key.is_some() { 2 } else { 1 };
    let mut starts = Vec::new();
    let mut depth = 0usize;
    let mut in_target = false;
    let mut done = false;
    let mut expect_element = false;
    let mut last_string: Option<(usize, usize)> = None;
    let mut after_colon = false;
    let mut i = 0;
    while i < bytes.len() && !done {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if expect_element && in_target && depth == target_depth && b != b']' {
            starts.push(i);
            expect_element = false;
        }
        let colon = b == b':';
        match b {
            b'"' => {
                let from = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if depth == 1 {
                    last_string = Some((from, i.min(bytes.len())));
                }
            }
            b'[' | b'{' => {
                depth += 1;
                let is_target = b == b'['
                    && depth == target_depth
                    && match key {
                        None => true,
                        Some(key) => {
                            after_colon && last_string.is_some_and(|(s, e)| &json[s..e] == key)
                        }
                    };
                if is_target {
                    in_target = true;
                    expect_element = true;
                }
            }
            b']' | b'}' => {
                if in_target && depth == target_depth {
                    done = true;
                }
                depth = depth.saturating_sub(1);
            }
            b',' if in_target && depth == target_depth => expect_element = true,
            _ => {}
        }
        after_colon = colon;
        i += 1;
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_where_elements_start() {
        let text = "[\n {\"a\": [1,\n 2]},\n\n {\"b\": \"[,]\"}\n]";
        let starts = element_starts(text, None);
        assert_eq!(starts.len(), 2);
        assert!(text[starts[0]..].starts_with("{\"a\""));
        assert!(text[starts[1]..].starts_with("{\"b\""));
        let page = "{\"x\": \"result\", \"result\": [\n{},\n{}], \"y\": [1]}";
        let starts = element_starts(page, Some("result"));
        assert_eq!(starts.len(), 2);
        assert!(page[starts[1]..].starts_with("{}]"));
    }
}
