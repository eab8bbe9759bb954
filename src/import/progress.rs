//! Import progress: a live bar with records per second on a terminal, plain log lines every
//! 50,000 records otherwise (CI logs, pipes), and a closing line with the rate.

use std::io::IsTerminal;
use std::time::Instant;

/// Records between two progress lines in the log.
const LOG_EVERY: usize = 50_000;

pub struct Progress {
    records: usize,
    started: Instant,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// `interactive`: show a bar when standard error is a terminal.
    pub fn new(interactive: bool) -> Self {
        let bar = (interactive && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {elapsed} {pos} records ({per_sec}) {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar
        });
        Self {
            records: 0,
            started: Instant::now(),
            bar,
        }
    }

    /// One more record read.
    pub fn tick(&mut self) {
        self.records += 1;
        match &self.bar {
            Some(bar) => bar.inc(1),
            None if self.records.is_multiple_of(LOG_EVERY) => {
                tracing::info!(
                    records = self.records,
                    per_second = self.rate().round(),
                    "importing"
                );
            }
            None => {}
        }
    }

    fn rate(&self) -> f64 {
        self.records as f64 / self.started.elapsed().as_secs_f64().max(0.001)
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let seconds = self.started.elapsed().as_secs_f64();
        tracing::info!(
            records = self.records,
            seconds = format!("{seconds:.1}"),
            per_second = self.rate().round(),
            "import done"
        );
    }
}
