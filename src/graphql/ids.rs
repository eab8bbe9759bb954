//! Opaque global ids (`Node.id`) and keyset cursors: both base64url text that clients must not
//! parse, decoded here with clear `BAD_USER_INPUT` errors.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::errors::ApiError;
use crate::db::pages::{Position, Table};

fn type_name(table: Table) -> &'static str {
    match table {
        Table::Publication => "Publication",
        Table::Dataset => "Dataset",
        Table::Producer => "Producer",
    }
}

/// The global id of row `id` of `table`: base64url of `"Publication:42"`.
pub fn global_id(table: Table, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", type_name(table))))
}

/// The table and row id a global id names.
pub fn decode_global_id(id: &str) -> Result<(Table, i64), ApiError> {
    let invalid = || ApiError::bad_input(format!("\"{id}\" is not a studygraph id"));
    let bytes = URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (kind, number) = text.split_once(':').ok_or_else(invalid)?;
    let table = match kind {
        "Publication" => Table::Publication,
        "Dataset" => Table::Dataset,
        "Producer" => Table::Producer,
        _ => return Err(invalid()),
    };
    let number = number.parse::<i64>().map_err(|_| invalid())?;
    Ok((table, number))
}

/// A global id that must name a row of `expected`.
pub fn decode_id_of(id: &str, expected: Table) -> Result<i64, ApiError> {
    match decode_global_id(id)? {
        (table, number) if table == expected => Ok(number),
        _ => Err(ApiError::bad_input(format!(
            "\"{id}\" is not a {} id",
            type_name(expected)
        ))),
    }
}

/// The cursor of a list item: its position in the list's order, and a fingerprint of the list
/// (filter, search, order) so that a cursor cannot be used with another list.
pub fn encode_cursor(position: &Position, list: u64) -> String {
    let body = serde_json::json!({ "p": position, "l": format!("{list:016x}") });
    URL_SAFE_NO_PAD.encode(body.to_string())
}

pub fn decode_cursor(cursor: &str, list: u64) -> Result<Position, ApiError> {
    let invalid = || ApiError::bad_input(format!("\"{cursor}\" is not a valid cursor"));
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if body["l"].as_str() != Some(format!("{list:016x}").as_str()) {
        return Err(ApiError::bad_input(format!(
            "the cursor \"{cursor}\" belongs to a list with another filter, search or order; \
             start again without `after`/`before`"
        )));
    }
    serde_json::from_value(body["p"].clone()).map_err(|_| invalid())
}

/// A stable fingerprint of a list's definition, for cursors.
pub fn list_fingerprint(spec: &impl std::hash::Hash) -> u64 {
    use std::hash::Hasher;
    // SipHash with fixed keys: the same list gives the same value in every process.
    #[allow(deprecated)]
    let mut hasher = std::hash::SipHasher::new();
    spec.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::pages::KeyValue;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let id = global_id(Table::Dataset, 42);
        assert_eq!(decode_global_id(&id).unwrap(), (Table::Dataset, 42));
        assert!(decode_id_of(&id, Table::Publication).is_err());
        for bad in [
            "",
            "!!",
            "UHVibGljYXRpb24",
            &URL_SAFE_NO_PAD.encode("Thing:1"),
        ] {
            assert!(decode_global_id(bad).is_err(), "{bad}");
        }
        let position = Position {
            keys: vec![
                KeyValue::Int(2006),
                KeyValue::Null,
                KeyValue::Text("a".into()),
            ],
            id: 7,
        };
        assert_eq!(
            decode_cursor(&encode_cursor(&position, 1), 1).unwrap(),
            position
        );
        assert!(
            decode_cursor(&encode_cursor(&position, 1), 2)
                .unwrap_err()
                .message()
                .contains("another filter")
        );
        assert!(decode_cursor("k1:7", 1).is_err());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::db::pages::KeyValue;

    proptest! {
        /// Arbitrary text is never a panic: either a decoded value or a BAD_USER_INPUT message.
        #[test]
        fn arbitrary_ids_and_cursors_never_panic(text in ".{0,200}") {
            if let Err(err) = decode_global_id(&text) {
                prop_assert!(!err.message().is_empty());
            }
            if let Err(err) = decode_cursor(&text, 7) {
                prop_assert!(!err.message().is_empty());
            }
        }

        /// Base64 of arbitrary bytes (what a tampered cursor looks like) is refused cleanly too.
        #[test]
        fn tampered_cursors_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let cursor = URL_SAFE_NO_PAD.encode(&bytes);
            let _ = decode_cursor(&cursor, 7);
            let _ = decode_global_id(&cursor);
        }

        /// Every position round-trips through its cursor.
        #[test]
        fn positions_round_trip(id in any::<i64>(), year in proptest::option::of(any::<i64>()), title in ".{0,40}", score in any::<f64>()) {
            let keys = vec![
                year.map_or(KeyValue::Null, KeyValue::Int),
                KeyValue::Text(title),
                KeyValue::Float { f: score.to_bits() },
            ];
            let position = Position { keys, id };
            prop_assert_eq!(decode_cursor(&encode_cursor(&position, 9), 9).unwrap(), position);
        }
    }
}
