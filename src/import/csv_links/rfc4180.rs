//! CSV rows as RFC 4180 has them: reading a sheet's records with the line each starts on, and
//! writing a row back as it could be read again (for a rejects file).

/// A row written back as it could be read again: fields joined by `separator`, quoted when
/// they hold a separator, a quote, a line break or spaces at either end.
pub(super) fn write_row(fields: &[String], separator: char) -> String {
    let quoted = |field: &String| {
        let needs = field.contains([separator, '"', '\n', '\r']) || field.trim() != field;
        if needs {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field.clone()
        }
    };
    let fields: Vec<String> = fields.iter().map(quoted).collect();
    fields.join(&separator.to_string())
}

/// A CSV record: the line it starts on, and its fields.
pub(super) type Record = (usize, Vec<String>);

/// RFC 4180 records with the line each starts on: fields separated by `separator`, optionally in
/// double quotes (which may hold separators, line breaks and `""`); records end at LF, CRLF or CR
/// outside quotes. A quote inside an unquoted field is kept as it is; text after a closing quote
/// (other than spaces before the separator) and an unclosed quote are errors `(line, reason)`.
pub(super) fn read_records(text: &str, separator: char) -> Result<Vec<Record>, (usize, String)> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    let mut record_line = 1;
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut at_field_start = true;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if at_field_start && c == '"' {
            // A quoted field, to its closing quote.
            let opened = line;
            loop {
                match chars.next() {
                    None => return Err((opened, "a quoted field is never closed".into())),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some('\r') => {
                        if chars.peek() == Some(&'\n') {
                            chars.next();
                        }
                        line += 1;
                        field.push('\n');
                    }
                    Some('\n') => {
                        line += 1;
                        field.push('\n');
                    }
                    Some(other) => field.push(other),
                }
            }
            while chars
                .peek()
                .is_some_and(|c| *c == ' ' || *c == '\t' && separator != '\t')
            {
                chars.next();
            }
            match chars.peek() {
                None | Some('\n') | Some('\r') => {}
                Some(c) if *c == separator => {}
                Some(c) => {
                    return Err((
                        line,
                        format!("'{c}' after a closing quote: quote the whole field"),
                    ));
                }
            }
            at_field_start = false;
            continue;
        }
        match c {
            _ if c == separator => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                fields.push(std::mem::take(&mut field));
                records.push((record_line, std::mem::take(&mut fields)));
                line += 1;
                record_line = line;
                at_field_start = true;
                any = false;
            }
            ' ' | '\t' if at_field_start => {
                // Spaces before an opening quote (`a, "b, c"`) are not part of the field.
                field.push(c);
                if field.trim().is_empty() && chars.peek() == Some(&'"') {
                    field.clear();
                }
            }
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if any {
        fields.push(field);
        records.push((record_line, fields));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Record> {
        read_records(text, ',').unwrap()
    }

    #[test]
    fn reads_quoted_fields() {
        let rows = fields("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\n1, \"two, 2\" ,3\n");
        assert_eq!(rows[0], (1, vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(
            rows[1],
            (2, vec!["x, y".into(), "say \"hi\"".into(), "".into()])
        );
        assert_eq!(rows[2], (3, vec!["1".into(), "two, 2".into(), "3".into()]));
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn rows_start_where_they_start() {
        let rows = fields("h\n\"multi\nline\",x\nlast");
        assert_eq!(rows[0].0, 1);
        assert_eq!(rows[1], (2, vec!["multi\nline".into(), "x".into()]));
        assert_eq!(rows[2], (4, vec!["last".into()]));
        assert_eq!(read_records("a\n\"open", ',').unwrap_err().0, 2);
        assert_eq!(read_records("\"a\"b", ',').unwrap_err().0, 1);
        assert_eq!(fields("it's 5\" long,x")[0].1[0], "it's 5\" long");
    }

    #[test]
    fn rows_are_written_back_as_they_read() {
        let rows = fields("a,\"x, y\",\"say \"\"hi\"\"\", pad ,\"multi\nline\",");
        let written = write_row(&rows[0].1, ',');
        assert_eq!(fields(&written), vec![(1, rows[0].1.clone())]);
        let tabs = read_records("a\t\"b\tc\"", '\t').unwrap();
        let written = write_row(&tabs[0].1, '\t');
        assert_eq!(read_records(&written, '\t').unwrap(), tabs);
    }
}
