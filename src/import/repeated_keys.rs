//! JSON read into a [`serde_json::Value`] that notes every key an object repeats. serde_json
//! keeps the last value of a repeated key and drops the others without a word, and an import
//! must not drop a value silently; the repeats are noted while the value is built, so the text
//! is read once.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

/// Why a record with a repeated key is refused.
pub(crate) const GIVEN_TWICE: &str = "field given twice";

/// One step of the path from a value down to a key it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// A JSON value (holding the last value of each repeated key, as serde_json's) and the keys
/// its objects repeat, in reading order, each as its path from the value.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) value: Value,
    pub(crate) repeated: Vec<Vec<Step>>,
}

/// A path as the importers name fields: `producers[0].role`, `[3].Source.Title`.
pub(crate) fn field_path(steps: &[Step]) -> String {
    let mut path = String::new();
    for step in steps {
        match step {
            Step::Key(key) if path.is_empty() => path.push_str(key),
            Step::Key(key) => {
                path.push('.');
                path.push_str(key);
            }
            Step::Index(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

impl Checked {
    fn plain(value: Value) -> Self {
        Self {
            value,
            repeated: Vec::new(),
        }
    }
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Checked, E> {
        Ok(Checked::plain(Value::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Checked, E> {
        Ok(Checked::plain(Value::Number(value.into())))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Checked, E> {
        Ok(Checked::plain(Value::Number(value.into())))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Checked, E> {
        Ok(Checked::plain(
            Number::from_f64(value).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_str<E>(self, value: &str) -> Result<Checked, E> {
        Ok(Checked::plain(Value::String(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Checked, E> {
        Ok(Checked::plain(Value::String(value)))
    }

    fn visit_none<E>(self) -> Result<Checked, E> {
        Ok(Checked::plain(Value::Null))
    }

    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked::plain(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Checked, D::Error> {
        Checked::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let mut repeated = Vec::new();
        while let Some(item) = seq.next_element::<Checked>()? {
            for mut path in item.repeated {
                path.insert(0, Step::Index(items.len()));
                repeated.push(path);
            }
            items.push(item.value);
        }
        Ok(Checked {
            value: Value::Array(items),
            repeated,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        let mut fields = Map::new();
        let mut repeated = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let item = map.next_value::<Checked>()?;
            for mut path in item.repeated {
                path.insert(0, Step::Key(key.clone()));
                repeated.push(path);
            }
            match fields.entry(key) {
                Entry::Vacant(entry) => {
                    entry.insert(item.value);
                }
                Entry::Occupied(mut entry) => {
                    repeated.push(vec![Step::Key(entry.key().clone())]);
                    entry.insert(item.value);
                }
            }
        }
        Ok(Checked {
            value: Value::Object(fields),
            repeated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repeats(text: &str) -> Vec<String> {
        let checked: Checked = serde_json::from_str(text).unwrap();
        checked.repeated.iter().map(|p| field_path(p)).collect()
    }

    #[test]
    fn reads_json_as_serde_json_does() {
        let text =
            r#"{"a":[1,-2,3.5,1e300,"x\u00e9",null,true,{}],"b":{"c":18446744073709551615}}"#;
        let checked: Checked = serde_json::from_str(text).unwrap();
        let plain: Value = serde_json::from_str(text).unwrap();
        assert_eq!(checked.value, plain);
        assert!(checked.repeated.is_empty());
    }

    #[test]
    fn names_every_repeated_key_by_its_path() {
        assert_eq!(repeats(r#"{"title":"a","title":"b"}"#), ["title"]);
        assert_eq!(
            repeats(r#"{"p":[{"r":1},{"r":1,"r":2}],"k":{"doi":1,"doi":2},"k":3}"#),
            ["p[1].r", "k.doi", "k"]
        );
        assert_eq!(repeats(r#"[{"a":1},{"a":1,"a":1}]"#), ["[1].a"]);
        let checked: Checked = serde_json::from_str(r#"{"t":"a","t":"b"}"#).unwrap();
        assert_eq!(
            checked.value["t"], "b",
            "the last value, as serde_json keeps"
        );
    }
}
