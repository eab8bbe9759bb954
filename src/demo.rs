//! The demo data served by a fresh `studygraph serve`: real public records around NCJ 216547
//! and ICPSR 20423, plus clearly marked synthetic records, in the native import format.

use crate::db::Db;
use crate::import::Summary;
use crate::import::native::{self, ImportError};

/// The demo records (`demo/demo.jsonl`), embedded in the binary.
pub const DEMO_JSONL: &str = include_str!("../demo/demo.jsonl");

/// Loads the demo records (in one transaction).
pub async fn load(db: &Db) -> Result<Summary, ImportError> {
    native::import_str(db, "demo/demo.jsonl", DEMO_JSONL).await
}
