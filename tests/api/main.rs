//! The integration suite: every test runs against the real HTTP router on SQLite and, when
//! `STUDYGRAPH_TEST_POSTGRES_URL` is set, on PostgreSQL too (under `CI=true` it must be set).

mod helpers;

mod backends_agree;
mod deploy;
mod explore;
mod explore_page;
mod export;
mod export_http;
mod federation;
mod find;
mod graph;
mod http;
mod import;
mod import_bulk;
mod import_dcat;
mod import_formats;
mod import_links;
mod import_producers;
mod import_run;
mod import_schema;
mod import_schema_cases;
mod limits;
mod lookups;
mod migrations;
mod mutations;
mod pagination;
mod schema;
mod statements;
mod trusted;
mod value_index;
