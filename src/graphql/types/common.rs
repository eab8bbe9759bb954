//! Small shared GraphQL types: partial dates, year ranges, the `Date` scalar and the enums.

use async_graphql::{
    Enum, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value,
};

/// A calendar date, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub chrono::NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => crate::dates::parse_day(text)
                .map(Date)
                .ok_or_else(|| InputValueError::custom(crate::dates::not_a_day(text))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A date known only as precisely as its source: a year, a month, or a day.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct PartialDate {
    pub year: i32,
    pub month: Option<i32>,
    pub day: Option<i32>,
    /// ISO 8601 at the known precision: "2006", "2006-10", "2006-10-15".
    pub iso: String,
    /// For people: "2006", "Oct 2006", "Oct 15, 2006".
    pub text: String,
}

impl PartialDate {
    /// The date stored as year + optional month + optional day; `None` without a year.
    pub fn from_parts(year: Option<i32>, month: Option<i32>, day: Option<i32>) -> Option<Self> {
        let year = year?;
        let month_name = |m: i32| MONTHS.get((m - 1) as usize).copied().unwrap_or("?");
        let (iso, text) = match (month, day) {
            (Some(m), Some(d)) => (
                format!("{year:04}-{m:02}-{d:02}"),
                format!("{} {d}, {year}", month_name(m)),
            ),
            (Some(m), None) => (
                format!("{year:04}-{m:02}"),
                format!("{} {year}", month_name(m)),
            ),
            _ => (format!("{year:04}"), year.to_string()),
        };
        Some(Self {
            year,
            month,
            day: month.and(day),
            iso,
            text,
        })
    }
}

/// A span of years; either year may be unknown (null).
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct YearRange {
    pub start: Option<i32>,
    pub end: Option<i32>,
}

/// What a producer did for a publication or dataset.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProducerRole {
    Producer,
    Sponsor,
    Publisher,
    Funder,
    PrincipalInvestigator,
    Distributor,
}

/// Publication-to-dataset link, aligned with Scholix relationship types (read from the
/// publication's side).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelationType {
    IsRelatedTo,
    References,
    IsReferencedBy,
    IsSupplementTo,
    IsSupplementedBy,
    Documents,
}

/// Both enums are stored as their GraphQL names.
macro_rules! stored_as_name {
    ($($ty:ty),*) => {$(
        impl $ty {
            pub fn as_db(self) -> &'static str {
                <$ty as async_graphql::resolver_utils::EnumType>::items()
                    .iter()
                    .find(|item| item.value == self)
                    .map(|item| item.name)
                    .expect("every variant has a name")
            }

            /// Unknown stored values (never written by studygraph) read as the first variant.
            pub fn from_db(stored: &str) -> Self {
                Self::parse_name(stored).unwrap_or_else(|| {
                    tracing::warn!(stored, "unknown {} in the database", stringify!($ty));
                    <$ty as async_graphql::resolver_utils::EnumType>::items()[0].value
                })
            }

            pub fn parse_name(name: &str) -> Option<Self> {
                <$ty as async_graphql::resolver_utils::EnumType>::items()
                    .iter()
                    .find(|item| item.name == name)
                    .map(|item| item.value)
            }

            /// Every variant's name, in declaration order.
            pub fn names() -> Vec<&'static str> {
                <$ty as async_graphql::resolver_utils::EnumType>::items()
                    .iter()
                    .map(|item| item.name)
                    .collect()
            }
        }
    )*};
}
stored_as_name!(ProducerRole, RelationType);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dates_keep_their_precision() {
        let oct = PartialDate::from_parts(Some(2006), Some(10), None).unwrap();
        assert_eq!(
            (oct.iso.as_str(), oct.text.as_str(), oct.day),
            ("2006-10", "Oct 2006", None)
        );
        let day = PartialDate::from_parts(Some(2011), Some(6), Some(13)).unwrap();
        assert_eq!(
            (day.iso.as_str(), day.text.as_str()),
            ("2011-06-13", "Jun 13, 2011")
        );
        assert_eq!(
            PartialDate::from_parts(Some(1999), None, Some(3))
                .unwrap()
                .iso,
            "1999"
        );
        assert!(PartialDate::from_parts(None, Some(1), None).is_none());
    }

    #[test]
    fn enums_are_stored_by_name() {
        assert_eq!(RelationType::IsSupplementTo.as_db(), "IS_SUPPLEMENT_TO");
        assert_eq!(
            ProducerRole::from_db("PRINCIPAL_INVESTIGATOR"),
            ProducerRole::PrincipalInvestigator
        );
        assert_eq!(RelationType::parse_name("NOPE"), None);
    }
}
