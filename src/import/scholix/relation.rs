//! Scholix relationship types (and DataCite subtypes) read from the publication's side.

use serde_json::Value;

use super::record::{FieldError, clean, get, json_type, text_field};
use crate::graphql::types::common::RelationType;

/// A relation as the link states it, Source to Target.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Stated {
    References,
    IsReferencedBy,
    IsSupplementTo,
    IsSupplementedBy,
    Documents,
    IsDocumentedBy,
    IsRelatedTo,
}

/// The Scholix relationship names and the DataCite relation types, as Source-to-Target
/// relations (DataCite types studygraph cannot express are `IsRelatedTo`).
fn stated(name: &str) -> Option<Stated> {
    let lower = name.trim().to_ascii_lowercase();
    Some(match lower.as_str() {
        "references" | "cites" => Stated::References,
        "isreferencedby" | "iscitedby" => Stated::IsReferencedBy,
        "issupplementto" => Stated::IsSupplementTo,
        "issupplementedby" => Stated::IsSupplementedBy,
        "documents" => Stated::Documents,
        "isdocumentedby" => Stated::IsDocumentedBy,
        "isrelatedto"
        | "iscontinuedby"
        | "continues"
        | "isdescribedby"
        | "describes"
        | "hasmetadata"
        | "ismetadatafor"
        | "hasversion"
        | "isversionof"
        | "isnewversionof"
        | "ispreviousversionof"
        | "ispartof"
        | "haspart"
        | "ispublishedin"
        | "iscompiledby"
        | "compiles"
        | "isvariantformof"
        | "isoriginalformof"
        | "isidenticalto"
        | "isreviewedby"
        | "reviews"
        | "isderivedfrom"
        | "issourceof"
        | "isrequiredby"
        | "requires"
        | "isobsoletedby"
        | "obsoletes"
        | "iscollectedby"
        | "collects"
        | "hastranslation"
        | "istranslationof" => Stated::IsRelatedTo,
        _ => return None,
    })
}

pub(super) struct Relation {
    name: Stated,
    sub_type: Option<Stated>,
}

impl Relation {
    /// The relation type read from the publication; `inverse` when the publication is the Target.
    pub(super) fn seen_from_publication(&self, inverse: bool) -> RelationType {
        let read = |stated: Stated| -> Option<RelationType> {
            use RelationType as R;
            Some(match (stated, inverse) {
                (Stated::References, false) | (Stated::IsReferencedBy, true) => R::References,
                (Stated::IsReferencedBy, false) | (Stated::References, true) => R::IsReferencedBy,
                (Stated::IsSupplementTo, false) | (Stated::IsSupplementedBy, true) => {
                    R::IsSupplementTo
                }
                (Stated::IsSupplementedBy, false) | (Stated::IsSupplementTo, true) => {
                    R::IsSupplementedBy
                }
                (Stated::Documents, false) | (Stated::IsDocumentedBy, true) => R::Documents,
                // A dataset documenting a publication: no such relation type.
                (Stated::IsDocumentedBy, false) | (Stated::Documents, true) => return None,
                (Stated::IsRelatedTo, _) => return None,
            })
        };
        self.sub_type
            .and_then(read)
            .or_else(|| read(self.name))
            .unwrap_or(RelationType::IsRelatedTo)
    }
}

pub(super) fn read_relation(record: &Value) -> Result<Relation, FieldError> {
    let (name, sub_type) = match get(record, "RelationshipType") {
        Some(Value::String(name)) => (clean(name), None),
        Some(object @ Value::Object(_)) => (
            text_field(object, "Name").map_err(|(f, r)| (format!("RelationshipType.{f}"), r))?,
            text_field(object, "SubType").map_err(|(f, r)| (format!("RelationshipType.{f}"), r))?,
        ),
        Some(other) => {
            return Err((
                "RelationshipType".into(),
                format!("must be {{\"Name\": …}}, not {}", json_type(other)),
            ));
        }
        None => return Err(("RelationshipType".into(), "missing".into())),
    };
    let name = name.ok_or_else(|| {
        (
            "RelationshipType.Name".to_owned(),
            "missing: one of References, IsReferencedBy, IsSupplementTo, IsSupplementedBy, IsRelatedTo"
                .to_owned(),
        )
    })?;
    let stated_name = stated(&name).ok_or_else(|| {
        (
            "RelationshipType.Name".to_owned(),
            format!(
                "unknown relationship type \"{name}\": one of References, IsReferencedBy, IsSupplementTo, IsSupplementedBy, IsRelatedTo (or a DataCite relation type)"
            ),
        )
    })?;
    Ok(Relation {
        name: stated_name,
        // An unknown SubType (another schema's vocabulary) only loses the refinement.
        sub_type: sub_type.as_deref().and_then(stated),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_read_from_the_publication() {
        let relation = |name: Stated, sub_type: Option<Stated>| Relation { name, sub_type };
        use RelationType as R;
        let refs = relation(Stated::References, None);
        assert_eq!(refs.seen_from_publication(false), R::References);
        assert_eq!(refs.seen_from_publication(true), R::IsReferencedBy);
        let supp = relation(Stated::IsSupplementTo, None);
        assert_eq!(supp.seen_from_publication(true), R::IsSupplementedBy);
        let documented = relation(Stated::IsReferencedBy, Some(Stated::IsDocumentedBy));
        assert_eq!(documented.seen_from_publication(true), R::Documents);
        assert_eq!(documented.seen_from_publication(false), R::IsReferencedBy);
        let related = relation(Stated::IsRelatedTo, Some(Stated::Documents));
        assert_eq!(related.seen_from_publication(false), R::Documents);
        assert_eq!(related.seen_from_publication(true), R::IsRelatedTo);
        assert_eq!(stated("IsPartOf"), Some(Stated::IsRelatedTo));
        assert_eq!(stated("Likes"), None);
    }
}
