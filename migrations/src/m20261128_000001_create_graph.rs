//! The graph: producers (a self-referencing hierarchy), publications, datasets, their list-valued
//! attributes as rows, and the three link tables, indexed in both directions.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables holding an ordered list of strings for one owner row (subjects, authors, ...).
const VALUE_LISTS: &[(&str, &str, &str)] = &[
    ("producer_alias", "producer_id", "producer"),
    ("publication_author", "publication_id", "publication"),
    ("publication_subject", "publication_id", "publication"),
    ("dataset_subject", "dataset_id", "dataset"),
    ("dataset_coverage", "dataset_id", "dataset"),
    ("dataset_data_type", "dataset_id", "dataset"),
];

/// Link tables between a record and a producer, with the producer's role.
const CREDITS: &[(&str, &str, &str)] = &[
    ("publication_producer", "publication_id", "publication"),
    ("dataset_producer", "dataset_id", "dataset"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("producer")
                    .col(big_pk_auto("id"))
                    .col(big_integer_null("parent_id"))
                    // 0 for roots, so that (parent_key, name) is unique for roots as well.
                    .col(big_integer("parent_key"))
                    .col(text("name"))
                    .col(text_null("abbreviation"))
                    .col(text_null("kind"))
                    .col(text_null("location"))
                    .col(text_null("url"))
                    // Lowercased name: the NAME sort order, the same on both backends.
                    .col(text("name_key"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("producer", "parent_id")
                            .to("producer", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "producer", &["parent_key", "name"], true).await?;
        index(manager, "producer", &["parent_id"], false).await?;
        index(manager, "producer", &["abbreviation"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("publication")
                    .col(big_pk_auto("id"))
                    .col(text_null("ncj_number"))
                    .col(text_null("doi"))
                    .col(text("title"))
                    .col(text("title_key"))
                    .col(text_null("subtitle"))
                    .col(text_null("publication_type"))
                    .col(integer_null("published_year"))
                    .col(integer_null("published_month"))
                    .col(integer_null("published_day"))
                    // year * 10000 + month * 100 + day (unknown parts 0): date ranges and order.
                    .col(big_integer_null("published_key"))
                    .col(text_null("abstract"))
                    .col(text_null("physical_description"))
                    .col(text_null("place_of_production"))
                    .col(text_null("language"))
                    .col(text_null("url"))
                    .col(boolean("synthetic").default(false))
                    .to_owned(),
            )
            .await?;
        index(manager, "publication", &["ncj_number"], true).await?;
        doi_index(manager, "publication").await?;
        index(manager, "publication", &["published_key"], false).await?;
        index(manager, "publication", &["title_key"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("dataset")
                    .col(big_pk_auto("id"))
                    .col(text_null("study_number"))
                    .col(text_null("doi"))
                    .col(text("title"))
                    .col(text("title_key"))
                    .col(text_null("summary"))
                    .col(integer_null("time_period_start"))
                    .col(integer_null("time_period_end"))
                    .col(integer_null("released_year"))
                    .col(integer_null("released_month"))
                    .col(integer_null("released_day"))
                    .col(big_integer_null("released_key"))
                    .col(text_null("version"))
                    .col(text_null("series"))
                    .col(text_null("url"))
                    .col(boolean("synthetic").default(false))
                    .to_owned(),
            )
            .await?;
        index(manager, "dataset", &["study_number"], true).await?;
        doi_index(manager, "dataset").await?;
        index(manager, "dataset", &["released_key"], false).await?;
        index(manager, "dataset", &["title_key"], false).await?;

        for (table, owner, owner_table) in VALUE_LISTS {
            manager
                .create_table(
                    Table::create()
                        .table(*table)
                        .col(big_integer(*owner))
                        .col(integer("position"))
                        .col(text("value"))
                        .primary_key(Index::create().col(*owner).col("position"))
                        .foreign_key(
                            ForeignKey::create()
                                .from(*table, *owner)
                                .to(*owner_table, "id")
                                .on_delete(ForeignKeyAction::Cascade),
                        )
                        .to_owned(),
                )
                .await?;
            index(manager, table, &["value", *owner], false).await?;
        }

        for (table, owner, owner_table) in CREDITS {
            manager
                .create_table(
                    Table::create()
                        .table(*table)
                        .col(big_integer(*owner))
                        .col(big_integer("producer_id"))
                        .col(text("role"))
                        .primary_key(Index::create().col(*owner).col("producer_id").col("role"))
                        .foreign_key(
                            ForeignKey::create()
                                .from(*table, *owner)
                                .to(*owner_table, "id")
                                .on_delete(ForeignKeyAction::Cascade),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .from(*table, "producer_id")
                                .to("producer", "id")
                                .on_delete(ForeignKeyAction::Restrict),
                        )
                        .to_owned(),
                )
                .await?;
            index(manager, table, &["producer_id", *owner], false).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("publication_dataset")
                    .col(big_integer("publication_id"))
                    .col(big_integer("dataset_id"))
                    .col(text("relation_type"))
                    .col(text_null("source"))
                    .col(date_null("linked_on"))
                    .primary_key(Index::create().col("publication_id").col("dataset_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("publication_dataset", "publication_id")
                            .to("publication", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("publication_dataset", "dataset_id")
                            .to("dataset", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "publication_dataset",
            &["dataset_id", "publication_id"],
            false,
        )
        .await?;
        for table in ["publication", "dataset", "producer"] {
            search_index(manager, table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut tables: Vec<&str> = vec!["publication_dataset"];
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
            tables.extend(["publication_fts", "dataset_fts", "producer_fts"]);
        }
        tables.extend(CREDITS.iter().map(|(t, _, _)| *t));
        tables.extend(VALUE_LISTS.iter().map(|(t, _, _)| *t));
        tables.extend(["dataset", "publication", "producer"]);
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Full-text search: an FTS5 table `<table>_fts(title, body)` keyed by rowid on SQLite, a
/// weighted `search_vector` column with a GIN index on PostgreSQL. The write path fills both.
async fn search_index(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        sea_orm_migration::sea_orm::DatabaseBackend::Postgres => vec![
            format!("ALTER TABLE {table} ADD COLUMN search_vector tsvector"),
            format!("CREATE INDEX {table}_search_idx ON {table} USING GIN (search_vector)"),
        ],
        _ => vec![format!(
            "CREATE VIRTUAL TABLE {table}_fts USING fts5(title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
        )],
    };
    for sql in statements {
        manager.get_connection().execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// DOIs are case-insensitive: unique on `lower(doi)`, which lookups use (both backends).
async fn doi_index(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let sql = format!("CREATE UNIQUE INDEX {table}_doi_key ON {table} (lower(doi))");
    manager
        .get_connection()
        .execute_unprepared(&sql)
        .await
        .map(|_| ())
}

/// Creates `<table>_<cols>_idx` (or `_key` when unique) on the given columns.
async fn index(
    manager: &SchemaManager<'_>,
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let suffix = if unique { "key" } else { "idx" };
    let mut stmt = Index::create();
    stmt.name(format!("{table}_{}_{suffix}", cols.join("_")))
        .table(table);
    for col in cols {
        stmt.col(*col);
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt).await
}
