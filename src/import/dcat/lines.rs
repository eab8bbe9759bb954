//! Where records start: a scanner for the line of every element of the `dataset` array, since
//! serde_json does not keep positions.

/// Lines of a catalog's structure: the `dataset` array (or the key naming it) and where each
/// of its elements starts.
pub(super) struct Positions {
    pub(super) array_line: usize,
    pub(super) starts: Vec<usize>,
}

/// Scans JSON text that serde_json has already accepted for the start line of every element of
/// the top-level object's `dataset` array (or of a top-level array).
pub(super) fn record_lines(text: &str) -> Positions {
    let bytes = text.as_bytes();
    let mut line = 1;
    let mut stack: Vec<u8> = Vec::new();
    let mut expect_key = false;
    let mut key_is_dataset = false;
    let mut target: Option<usize> = None;
    let mut expect_element = false;
    let mut positions = Positions {
        array_line: 1,
        starts: Vec::new(),
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if expect_element
            && target == Some(stack.len())
            && matches!(
                b,
                b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
            )
        {
            positions.starts.push(line);
            expect_element = false;
        }
        match b {
            b'\n' => line += 1,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if expect_key && stack == [b'{'] {
                    key_is_dataset = bytes.get(start..i) == Some(b"dataset".as_slice());
                    if key_is_dataset {
                        positions.array_line = line;
                    }
                    expect_key = false;
                }
            }
            b'{' | b'[' => {
                if b == b'[' && (stack.is_empty() || (stack == [b'{'] && key_is_dataset)) {
                    target = Some(stack.len() + 1);
                    expect_element = true;
                    positions.starts.clear();
                    if stack.is_empty() {
                        positions.array_line = line;
                    }
                }
                stack.push(b);
                if stack == [b'{'] {
                    expect_key = true;
                }
            }
            b'}' | b']' => {
                if target == Some(stack.len()) {
                    target = None;
                    expect_element = false;
                }
                stack.pop();
            }
            b',' => {
                if stack == [b'{'] {
                    expect_key = true;
                    key_is_dataset = false;
                }
                if target == Some(stack.len()) {
                    expect_element = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    positions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_where_records_start() {
        let text = "{\n \"x\": [1,\n2],\n \"dataset\": [\n  {\"title\": \"a\"},\n\n  {\"title\":\n \"b\"}, \"c\"\n ]\n}";
        let positions = record_lines(text);
        assert_eq!(positions.array_line, 4);
        assert_eq!(positions.starts, vec![5, 7, 8]);
        let positions = record_lines("[\n{}\n,{}]");
        assert_eq!(positions.starts, vec![2, 3]);
    }
}
