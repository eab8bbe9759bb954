//! Loading records into the graph. Every format goes through one upsert path ([`upsert`]), one
//! transaction per run: a bad record stops the run with `FILE:LINE: field: reason` and leaves
//! the database as it was.

pub mod native;
pub mod upsert;

use std::fmt;

/// A record that could not be loaded, located in its file.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
pub struct RecordError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub reason: String,
}

/// What an import wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub producers: usize,
    pub publications: usize,
    pub datasets: usize,
    pub links: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} producers, {} publications, {} datasets, {} links",
            self.producers, self.publications, self.datasets, self.links
        )
    }
}
