//! Publications and datasets as [`Kind`]s: their inputs (create and update share the fields;
//! on update a field left out is kept and null clears it), payloads, and how the fields map
//! onto the write path's inputs.

use async_graphql::{ID, InputObject, MaybeUndefined, SimpleObject};
use sea_orm::{DatabaseTransaction, DbErr};

use super::records::{Kind, taken_keys};
use super::user_errors::{self as patch, UserError, UserErrors};
use crate::dates::PartialDateValue;
use crate::db::entities::{ValueList, dataset, publication};
use crate::db::lookup::{parse_doi, parse_ncj, parse_study_number};
use crate::db::pages::Table;
use crate::db::rows;
use crate::graphql::filters::YearRangeInput;
use crate::graphql::types::{Dataset, Publication};
use crate::import::edits::{self, DeleteError};
use crate::import::upsert::{self, DatasetInput, PublicationInput, Target, UpsertError};

/// A publication's fields. Creating one needs a `title`.
#[derive(InputObject, Clone, Default)]
pub struct CreatePublicationInput {
    /// Digits, after an optional "NCJ" prefix: "216547", "NCJ 216547" or "NCJ-216547"; unique.
    pub ncj_number: MaybeUndefined<String>,
    /// "10.", a registrant, "/" and a suffix ("10.3886/ICPSR20423.v1"); unique, ignoring
    /// case; a `https://doi.org/` or `doi:` prefix is dropped.
    pub doi: MaybeUndefined<String>,
    /// Required: a create needs it and an update cannot clear it.
    pub title: MaybeUndefined<String>,
    pub subtitle: MaybeUndefined<String>,
    pub publication_type: MaybeUndefined<String>,
    /// "2006", "2006-10" or "2006-10-15": as precise as known.
    pub published_on: MaybeUndefined<String>,
    #[graphql(name = "abstract")]
    pub abstract_text: MaybeUndefined<String>,
    pub physical_description: MaybeUndefined<String>,
    pub place_of_production: MaybeUndefined<String>,
    pub language: MaybeUndefined<String>,
    pub url: MaybeUndefined<String>,
    pub authors: MaybeUndefined<Vec<String>>,
    pub subjects: MaybeUndefined<Vec<String>>,
}

/// The publication to change and the fields to change (left out: kept; null: cleared).
#[derive(InputObject, Clone)]
pub struct UpdatePublicationInput {
    pub id: ID,
    #[graphql(flatten)]
    pub fields: CreatePublicationInput,
}

#[derive(SimpleObject)]
pub struct PublicationPayload {
    /// The publication as saved; null when there are user errors.
    pub publication: Option<Publication>,
    pub user_errors: Vec<UserError>,
}

/// A dataset's fields. Creating one needs a `title`.
#[derive(InputObject, Clone, Default)]
pub struct CreateDatasetInput {
    /// Digits, after an optional "ICPSR" prefix: "20423" or "ICPSR 20423"; unique.
    pub study_number: MaybeUndefined<String>,
    /// "10.", a registrant, "/" and a suffix ("10.3886/ICPSR20423.v1"); unique, ignoring
    /// case; a `https://doi.org/` or `doi:` prefix is dropped.
    pub doi: MaybeUndefined<String>,
    /// Required: a create needs it and an update cannot clear it.
    pub title: MaybeUndefined<String>,
    pub summary: MaybeUndefined<String>,
    pub time_period: MaybeUndefined<YearRangeInput>,
    pub geographic_coverage: MaybeUndefined<Vec<String>>,
    /// "2006", "2006-10" or "2006-10-15".
    pub released_on: MaybeUndefined<String>,
    pub version: MaybeUndefined<String>,
    pub series: MaybeUndefined<String>,
    pub data_types: MaybeUndefined<Vec<String>>,
    pub subjects: MaybeUndefined<Vec<String>>,
    pub url: MaybeUndefined<String>,
}

/// The dataset to change and the fields to change (left out: kept; null: cleared).
#[derive(InputObject, Clone)]
pub struct UpdateDatasetInput {
    pub id: ID,
    #[graphql(flatten)]
    pub fields: CreateDatasetInput,
}

#[derive(SimpleObject)]
pub struct DatasetPayload {
    /// The dataset as saved; null when there are user errors.
    pub dataset: Option<Dataset>,
    pub user_errors: Vec<UserError>,
}

/// The record to delete.
#[derive(InputObject, Clone)]
pub struct DeleteInput {
    pub id: ID,
}

/// A record's value lists, in the order asked.
async fn lists<const N: usize>(
    txn: &DatabaseTransaction,
    lists: [ValueList; N],
    owner: i64,
) -> Result<[Vec<String>; N], DbErr> {
    let mut out: [Vec<String>; N] = std::array::from_fn(|_| Vec::new());
    for (slot, list) in out.iter_mut().zip(lists) {
        *slot = rows::value_lists(txn, list, &[owner])
            .await?
            .remove(&owner)
            .unwrap_or_default();
    }
    Ok(out)
}

fn stored_date(
    year: Option<i32>,
    month: Option<i32>,
    day: Option<i32>,
) -> Option<PartialDateValue> {
    year.map(|year| PartialDateValue { year, month, day })
}

impl Kind for Publication {
    type Model = publication::Model;
    type Draft = PublicationInput;
    type Fields = CreatePublicationInput;
    type Rules = ();
    type Payload = PublicationPayload;
    const NAME: &'static str = "publication";

    fn blank() -> PublicationInput {
        PublicationInput {
            ncj_number: None,
            doi: None,
            title: String::new(),
            subtitle: None,
            publication_type: None,
            published_on: None,
            abstract_text: None,
            physical_description: None,
            place_of_production: None,
            language: None,
            url: None,
            authors: Vec::new(),
            subjects: Vec::new(),
            producers: Vec::new(),
            synthetic: false,
        }
    }

    async fn load(
        txn: &DatabaseTransaction,
        row: publication::Model,
    ) -> Result<PublicationInput, DbErr> {
        let [authors, subjects] = lists(
            txn,
            [
                ValueList::PublicationAuthors,
                ValueList::PublicationSubjects,
            ],
            row.id,
        )
        .await?;
        Ok(PublicationInput {
            published_on: stored_date(row.published_year, row.published_month, row.published_day),
            ncj_number: row.ncj_number,
            doi: row.doi,
            title: row.title,
            subtitle: row.subtitle,
            publication_type: row.publication_type,
            abstract_text: row.abstract_text,
            physical_description: row.physical_description,
            place_of_production: row.place_of_production,
            language: row.language,
            url: row.url,
            authors,
            subjects,
            producers: Vec::new(),
            synthetic: row.synthetic,
        })
    }

    async fn apply(
        txn: &DatabaseTransaction,
        f: CreatePublicationInput,
        d: &mut PublicationInput,
        errors: &mut UserErrors,
        editing: Option<i64>,
    ) -> Result<(), DbErr> {
        patch::key(
            &mut d.ncj_number,
            f.ncj_number,
            parse_ncj,
            "ncjNumber",
            errors,
        );
        patch::key(&mut d.doi, f.doi, parse_doi, "doi", errors);
        let keys = [
            ("ncjNumber", "ncj_number", d.ncj_number.as_deref()),
            ("doi", "doi", d.doi.as_deref()),
        ];
        taken_keys::<Self>(txn, &keys, editing, errors).await?;
        patch::required(&mut d.title, f.title);
        patch::required_present(&d.title, "title", errors);
        patch::text(&mut d.subtitle, f.subtitle);
        patch::text(&mut d.publication_type, f.publication_type);
        patch::date(&mut d.published_on, f.published_on, "publishedOn", errors);
        patch::text(&mut d.abstract_text, f.abstract_text);
        patch::text(&mut d.physical_description, f.physical_description);
        patch::text(&mut d.place_of_production, f.place_of_production);
        patch::text(&mut d.language, f.language);
        patch::text(&mut d.url, f.url);
        patch::list(&mut d.authors, f.authors);
        patch::list(&mut d.subjects, f.subjects);
        Ok(())
    }

    async fn write(
        txn: &DatabaseTransaction,
        d: PublicationInput,
        target: Target,
    ) -> Result<i64, UpsertError> {
        Ok(upsert::publication_to(txn, d, target).await?.0)
    }

    async fn remove(txn: &DatabaseTransaction, id: i64, _: ()) -> Result<(), DeleteError> {
        edits::delete_record(txn, Table::Publication, id).await?;
        Ok(())
    }

    fn payload(
        record: Option<publication::Model>,
        user_errors: Vec<UserError>,
    ) -> PublicationPayload {
        PublicationPayload {
            publication: record.map(Publication),
            user_errors,
        }
    }
}

impl Kind for Dataset {
    type Model = dataset::Model;
    type Draft = DatasetInput;
    type Fields = CreateDatasetInput;
    type Rules = ();
    type Payload = DatasetPayload;
    const NAME: &'static str = "dataset";

    fn blank() -> DatasetInput {
        DatasetInput {
            study_number: None,
            doi: None,
            title: String::new(),
            summary: None,
            time_period: (None, None),
            geographic_coverage: Vec::new(),
            released_on: None,
            version: None,
            series: None,
            data_types: Vec::new(),
            subjects: Vec::new(),
            url: None,
            producers: Vec::new(),
            synthetic: false,
        }
    }

    async fn load(txn: &DatabaseTransaction, row: dataset::Model) -> Result<DatasetInput, DbErr> {
        let [coverage, data_types, subjects] = lists(
            txn,
            [
                ValueList::DatasetCoverage,
                ValueList::DatasetDataTypes,
                ValueList::DatasetSubjects,
            ],
            row.id,
        )
        .await?;
        Ok(DatasetInput {
            released_on: stored_date(row.released_year, row.released_month, row.released_day),
            time_period: (row.time_period_start, row.time_period_end),
            study_number: row.study_number,
            doi: row.doi,
            title: row.title,
            summary: row.summary,
            geographic_coverage: coverage,
            version: row.version,
            series: row.series,
            data_types,
            subjects,
            url: row.url,
            producers: Vec::new(),
            synthetic: row.synthetic,
        })
    }

    async fn apply(
        txn: &DatabaseTransaction,
        f: CreateDatasetInput,
        d: &mut DatasetInput,
        errors: &mut UserErrors,
        editing: Option<i64>,
    ) -> Result<(), DbErr> {
        patch::key(
            &mut d.study_number,
            f.study_number,
            parse_study_number,
            "studyNumber",
            errors,
        );
        patch::key(&mut d.doi, f.doi, parse_doi, "doi", errors);
        let keys = [
            ("studyNumber", "study_number", d.study_number.as_deref()),
            ("doi", "doi", d.doi.as_deref()),
        ];
        taken_keys::<Self>(txn, &keys, editing, errors).await?;
        patch::required(&mut d.title, f.title);
        patch::required_present(&d.title, "title", errors);
        patch::text(&mut d.summary, f.summary);
        match f.time_period {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => d.time_period = (None, None),
            MaybeUndefined::Value(range) => d.time_period = (range.start, range.end),
        }
        patch::list(&mut d.geographic_coverage, f.geographic_coverage);
        patch::date(&mut d.released_on, f.released_on, "releasedOn", errors);
        patch::text(&mut d.version, f.version);
        patch::text(&mut d.series, f.series);
        patch::list(&mut d.data_types, f.data_types);
        patch::list(&mut d.subjects, f.subjects);
        patch::text(&mut d.url, f.url);
        Ok(())
    }

    async fn write(
        txn: &DatabaseTransaction,
        d: DatasetInput,
        target: Target,
    ) -> Result<i64, UpsertError> {
        Ok(upsert::dataset_to(txn, d, target).await?.0)
    }

    async fn remove(txn: &DatabaseTransaction, id: i64, _: ()) -> Result<(), DeleteError> {
        edits::delete_record(txn, Table::Dataset, id).await?;
        Ok(())
    }

    fn payload(record: Option<dataset::Model>, user_errors: Vec<UserError>) -> DatasetPayload {
        DatasetPayload {
            dataset: record.map(Dataset),
            user_errors,
        }
    }
}
