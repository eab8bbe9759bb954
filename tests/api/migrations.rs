//! Upgrades: a migration that a database's rows cannot take says which rows, and how to fix
//! them, instead of only that it failed.

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;

use crate::helpers::TestApp;
use crate::{on_both_backends, on_both_backends_empty};

on_both_backends_empty!(names_that_clash_by_case_stop_the_upgrade_by_name);
on_both_backends!(an_upgrade_lists_the_lexemes_stored_vectors_hold);

/// Undoes the migration whose name holds `number` (`"_000011_"`) and every later one.
async fn undo_from(conn: &sea_orm::DatabaseConnection, number: &str) {
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let since = names.len() - names.iter().position(|n| n.contains(number)).unwrap();
    Migrator::down(conn, Some(since as u32)).await.unwrap();
}

/// Migration 000011 makes producer names unique under their parent ignoring case. A database
/// from before it can hold "Race Unit" and "race unit" side by side (the race it closes): the
/// upgrade then stops naming them, and goes through once one is renamed.
async fn names_that_clash_by_case_stop_the_upgrade_by_name(app: &TestApp) {
    let conn = &app.db.conn;
    // Back to just before migration 000011 (and the ones after it).
    undo_from(conn, "_000011_").await;
    for name in ["Race Unit", "race unit"] {
        conn.execute_unprepared(&format!(
            "INSERT INTO producer (parent_key, name, name_key) VALUES (0, '{name}', 'race unit')"
        ))
        .await
        .unwrap();
    }
    let err = app.db.migrate().await.unwrap_err().to_string();
    assert!(
        err.contains("2 producers named \"Race Unit\"") && err.contains("rename or merge them"),
        "{err}"
    );
    conn.execute_unprepared(
        "UPDATE producer SET name = 'Race Unit 2', name_key = 'race unit 2' WHERE name = 'race unit'",
    )
    .await
    .unwrap();
    app.db.migrate().await.unwrap();
}

/// Migration 000012 lists, on PostgreSQL, every lexeme the stored search vectors hold (from
/// which searches write their prefix words out): a database upgraded from before it finds
/// its records by the prefixes of their words as it did.
async fn an_upgrade_lists_the_lexemes_stored_vectors_hold(app: &TestApp) {
    let count = |search: &'static str| async move {
        let query = format!(r#"{{ publications(search: "{search}") {{ totalCount }} }}"#);
        app.data(&query).await["publications"]["totalCount"].clone()
    };
    let before = (count("traffic").await, count("victim").await);
    assert!(before.0.as_i64().unwrap() > 0, "{before:?}");
    undo_from(&app.db.conn, "_000012_").await;
    app.db.migrate().await.unwrap();
    assert_eq!((count("traffic").await, count("victim").await), before);
    assert_eq!(app.unlisted_lexemes().await, Vec::<String>::new());
}

/// SQLite's settings for large writes: statement journals stay in memory on every pooled
/// connection (an import's large inserts spilled gigabytes of them to temporary files), and
/// migration 000013 lets each FTS5 index gather 64 MiB of new entries before writing a
/// segment (1 MiB before it, and again after it is undone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_large_writes_in_memory() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite, false)
        .await
        .expect("SQLite always runs");
    let conn = &app.db.conn;
    let one_number = |sql: String| async move {
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                sql,
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    // 2 is MEMORY; every connection of the pool is asked at once, so several answer.
    let answers =
        futures::future::join_all((0..4).map(|_| one_number("PRAGMA temp_store".into()))).await;
    assert_eq!(answers, [2, 2, 2, 2]);
    let buffers = || async {
        let mut bytes = Vec::new();
        for index in ["publication_fts", "dataset_fts", "producer_fts"] {
            bytes.push(
                // 0: not set, FTS5's default.
                one_number(format!(
                    "SELECT coalesce((SELECT v FROM {index}_config WHERE k = 'hashsize'), 0)"
                ))
                .await,
            );
        }
        bytes
    };
    assert_eq!(buffers().await, [64 << 20; 3]);
    undo_from(conn, "_000013_").await;
    assert_eq!(buffers().await, [1 << 20; 3]);
    app.db.migrate().await.unwrap();
    assert_eq!(buffers().await, [64 << 20; 3]);
    app.finish().await;
}
