//! Upgrades: a migration that a database's rows cannot take says which rows, and how to fix
//! them, instead of only that it failed.

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;

use crate::helpers::TestApp;
use crate::on_both_backends_empty;

on_both_backends_empty!(names_that_clash_by_case_stop_the_upgrade_by_name);

/// Migration 000011 makes producer names unique under their parent ignoring case. A database
/// from before it can hold "Race Unit" and "race unit" side by side (the race it closes): the
/// upgrade then stops naming them, and goes through once one is renamed.
async fn names_that_clash_by_case_stop_the_upgrade_by_name(app: &TestApp) {
    let conn = &app.db.conn;
    Migrator::down(conn, Some(1)).await.unwrap();
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
