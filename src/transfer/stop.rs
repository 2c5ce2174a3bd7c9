//! Ctrl-C during a long command: the first one asks the command to stop at
//! the end of the batch it is writing, so everything committed is whole and
//! a re-run continues from there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// A flag that Ctrl-C (SIGINT) and SIGTERM raise.
    pub fn on_signals() -> Self {
        let stop = Self::default();
        let flag = stop.0.clone();
        tokio::spawn(async move {
            #[cfg(unix)]
            let terminate = async {
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let terminate = std::future::pending::<()>();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = terminate => {},
            }
            eprintln!("stopping after the current batch…");
            flag.store(true, Ordering::SeqCst);
        });
        stop
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The command stopped at a batch boundary because it was asked to.
#[derive(Debug, thiserror::Error)]
#[error("stopped on request after {done}; run the same command again to continue")]
pub struct Stopped {
    pub done: String,
}
