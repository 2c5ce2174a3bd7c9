//! Progress of a long command, on stderr: a bar with counts, rate and ETA
//! on a terminal; a plain line every few seconds otherwise (logs, CI).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the plain lines come.
const PLAIN_EVERY: Duration = Duration::from_secs(2);

pub struct Progress {
    label: &'static str,
    unit: &'static str,
    bar: Option<ProgressBar>,
    total: Option<u64>,
    done: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    /// `unit` names what is counted (`rows`, `bytes`); `total` when known.
    pub fn new(label: &'static str, unit: &'static str, total: Option<u64>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(total) => ProgressBar::new(total),
                None => ProgressBar::new_spinner(),
            };
            let template = match (total, unit) {
                (Some(_), "bytes") => "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
                (Some(_), _) => "{prefix} [{bar:30}] {human_pos}/{human_len} {unit} {per_sec} ETA {eta} {msg}",
                (None, _) => "{prefix} {spinner} {human_pos} {unit} {per_sec} {msg}",
            }
            .replace("{unit}", unit);
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(label);
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Self {
            label,
            unit,
            bar,
            total,
            done: 0,
            started: now,
            last_line: now,
        }
    }

    pub fn set_total(&mut self, total: u64) {
        self.total = Some(total);
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            if let Ok(style) = ProgressStyle::with_template(&format!(
                "{{prefix}} [{{bar:30}}] {{human_pos}}/{{human_len}} {} {{per_sec}} ETA {{eta}} {{msg}}",
                self.unit
            )) {
                bar.set_style(style.progress_chars("=> "));
            }
        }
    }

    /// Counts `n` more; `note` is what the plain line adds (e.g. rows written).
    pub fn advance(&mut self, n: u64, note: impl FnOnce() -> String) {
        self.done += n;
        match &self.bar {
            Some(bar) => {
                bar.set_position(self.done);
                bar.set_message(note());
            }
            None if self.last_line.elapsed() >= PLAIN_EVERY => {
                self.last_line = Instant::now();
                eprintln!("{}", self.line(&note()));
            }
            None => {}
        }
    }

    fn line(&self, note: &str) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = self.done as f64 / secs;
        let mut text = format!("{}: {} {}", self.label, self.done, self.unit);
        if let Some(total) = self.total.filter(|t| *t > 0) {
            let left = total.saturating_sub(self.done) as f64 / rate.max(1e-9);
            text.push_str(&format!(
                " of {total} ({:.0}%), {:.0} {}/s, ETA {:.0} s",
                self.done as f64 * 100.0 / total as f64,
                rate,
                self.unit,
                left
            ));
        } else {
            text.push_str(&format!(", {:.0} {}/s", rate, self.unit));
        }
        if !note.is_empty() {
            text.push_str(&format!(" ({note})"));
        }
        text
    }

    /// Ends the bar and prints `summary` (always, on a terminal or not).
    pub fn finish(self, summary: &str) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!(
            "{}: {summary} in {:.1} s",
            self.label,
            self.started.elapsed().as_secs_f64()
        );
    }
}
