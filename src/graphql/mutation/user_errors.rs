//! `userErrors`: problems with a mutation's input that a form can show next to its fields, and
//! the helpers that apply an input's fields to a draft while collecting them.

use async_graphql::{ID, MaybeUndefined, SimpleObject};

use crate::dates::PartialDateValue;
use crate::db::pages::Table;
use crate::graphql::errors::{ApiError, ApiResult};
use crate::graphql::ids::decode_id_of;
use crate::import::upsert::{self, UpsertError};

/// A problem with the input: which field, what is wrong, and a code.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    /// The field's path within `input` (`["title"]`); null when the input as a whole is wrong.
    pub field: Option<Vec<String>>,
    pub message: String,
    /// `BLANK` (required and missing), `INVALID`, `NOT_FOUND` (an id names nothing), `TAKEN`
    /// (a natural key or name another record has) or `IN_USE` (still referenced).
    pub code: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Blank,
    Invalid,
    NotFound,
    Taken,
    InUse,
}

impl Code {
    fn as_str(self) -> &'static str {
        match self {
            Self::Blank => "BLANK",
            Self::Invalid => "INVALID",
            Self::NotFound => "NOT_FOUND",
            Self::Taken => "TAKEN",
            Self::InUse => "IN_USE",
        }
    }
}

/// The user errors of one mutation, in the order found.
#[derive(Default, Debug)]
pub struct UserErrors(Vec<UserError>);

impl UserErrors {
    /// Records a problem with `field` (a dotted path within `input`; empty for the whole input).
    pub fn add(&mut self, field: &str, code: Code, message: impl Into<String>) {
        let field = (!field.is_empty()).then(|| field.split('.').map(str::to_owned).collect());
        self.0.push(UserError {
            field,
            message: message.into(),
            code: code.as_str().to_owned(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<UserError> {
        self.0
    }

    /// The row id a global id of `table` names, or `None` with the reason recorded.
    pub fn id(&mut self, field: &str, id: &ID, table: Table) -> Option<i64> {
        match decode_id_of(id, table) {
            Ok(row) => Some(row),
            Err(err) => {
                self.add(field, Code::Invalid, err.message());
                None
            }
        }
    }

    /// Records a record the write path refused; database errors are not the user's.
    pub fn refused(&mut self, err: UpsertError) -> ApiResult<()> {
        match err {
            UpsertError::Invalid { field, reason } => {
                let code = if upsert::is_taken(&reason) {
                    Code::Taken
                } else {
                    Code::Invalid
                };
                self.add(&field, code, reason);
                Ok(())
            }
            UpsertError::Db(err) => Err(ApiError::from(err)),
        }
    }
}

/// Trimmed text, `None` when blank.
pub fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// An optional text field: absent keeps the value, null or blank clears it.
pub fn text(slot: &mut Option<String>, value: MaybeUndefined<String>) {
    if let Some(value) = given(value) {
        *slot = clean(value);
    }
}

/// A natural key (NCJ number, DOI, ...): as [`text`], in the form `parse` gives it; one
/// `parse` refuses is an `INVALID` error (with its reason) and changes nothing.
pub fn key(
    slot: &mut Option<String>,
    value: MaybeUndefined<String>,
    parse: fn(&str) -> Result<String, String>,
    field: &str,
    errors: &mut UserErrors,
) {
    if let Some(value) = given(value) {
        match clean(value).map(|v| parse(&v)).transpose() {
            Ok(parsed) => *slot = parsed,
            Err(reason) => errors.add(field, Code::Invalid, reason),
        }
    }
}

/// A required text field: absent keeps it; null or blank is a `BLANK` error (checked by
/// [`required_present`] after every field is applied, which also catches a create without it).
pub fn required(slot: &mut String, value: MaybeUndefined<String>) {
    if let Some(value) = given(value) {
        *slot = clean(value).unwrap_or_default();
    }
}

pub fn required_present(slot: &str, field: &str, errors: &mut UserErrors) {
    if slot.trim().is_empty() {
        errors.add(field, Code::Blank, "must not be empty");
    }
}

/// A list of strings: absent keeps it, null clears it.
pub fn list(slot: &mut Vec<String>, value: MaybeUndefined<Vec<String>>) {
    if let Some(value) = given(value) {
        *slot = value.unwrap_or_default();
    }
}

/// A date at any precision ("2006", "2006-10", "2006-10-15"): absent keeps it, null or blank
/// clears it, anything else ("Oct 2006", "0000") is an `INVALID` error.
pub fn date(
    slot: &mut Option<PartialDateValue>,
    value: MaybeUndefined<String>,
    field: &str,
    errors: &mut UserErrors,
) {
    if let Some(value) = given(value) {
        match clean(value)
            .map(|text| PartialDateValue::parse(&text))
            .transpose()
        {
            Ok(parsed) => *slot = parsed,
            Err(reason) => errors.add(field, Code::Invalid, reason),
        }
    }
}

/// `None` when the field was left out, else its value (`Some(None)` for null).
pub fn given<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_clear_or_set() {
        let mut slot = Some("old".to_owned());
        text(&mut slot, MaybeUndefined::Undefined);
        assert_eq!(slot.as_deref(), Some("old"));
        text(&mut slot, MaybeUndefined::Value("  ".into()));
        assert_eq!(slot, None);
        let mut errors = UserErrors::default();
        let mut published = None;
        date(
            &mut published,
            MaybeUndefined::Value("Oct 2006".into()),
            "publishedOn",
            &mut errors,
        );
        assert_eq!(published, None);
        assert_eq!(
            errors.into_vec()[0].field,
            Some(vec!["publishedOn".to_owned()])
        );
    }
}
