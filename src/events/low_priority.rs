//! A runtime of its own for sending deliveries (building and signing each
//! attempt's body, the HTTP exchange), apart from the one that serves the
//! API and at a lower CPU priority. Signing is the dearest part of a
//! delivery (an RSA private-key operation each), and a backlog after a bulk
//! write keeps the sending busy for as long as it lasts: on the API's
//! runtime, or at its priority, it would take the CPU the writes need. Here
//! it takes what the API leaves, and only a small share (see `NICE`) when
//! the API wants it all. The dispatcher's database work stays on the API's
//! runtime, where the store's connections live.

use std::future::Future;

use tokio::runtime::{Builder, Handle, Runtime};
use tokio::task::JoinHandle;

/// The threads' niceness on Linux: under contention, a nice-10 thread gets
/// about a tenth of what a nice-0 thread gets of a core (weights 110 and
/// 1024), and everything of a core nobody else wants.
const NICE: i32 = 10;

pub struct LowPriorityRuntime {
    /// Always `Some` until dropped.
    runtime: Option<Runtime>,
}

impl LowPriorityRuntime {
    /// A runtime of `threads` workers (at least one), every one of its
    /// threads (blocking ones too, e.g. for DNS) at the lower priority.
    pub fn start(threads: usize) -> std::io::Result<Self> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("insignia-webhook-send")
            .on_thread_start(lower_priority)
            .enable_all()
            .build()?;
        Ok(Self { runtime: Some(runtime) })
    }

    pub fn handle(&self) -> &Handle {
        self.runtime.as_ref().expect("running until dropped").handle()
    }

    pub fn spawn<F>(&self, work: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle().spawn(work)
    }
}

impl Drop for LowPriorityRuntime {
    /// Dropped from async code (the dispatcher's task), where a runtime may
    /// not block to wait for its threads: they are left to end on their own,
    /// and what still runs on them is cancelled.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Lowers the calling thread's priority (Linux schedules threads, so
/// `setpriority` on a thread id touches that thread only). Elsewhere the
/// threads keep the process's priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls about the calling thread itself; no memory is shared.
        let done = unsafe { libc::setpriority(libc::PRIO_PROCESS, thread_id(), NICE) };
        if done != 0 {
            tracing::debug!("could not lower the webhook threads' priority");
        }
    }
}

#[cfg(target_os = "linux")]
fn thread_id() -> libc::id_t {
    // SAFETY: `gettid` takes no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as libc::id_t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_threads_of_its_own() {
        let runtime = LowPriorityRuntime::start(2).unwrap();
        let caller = std::thread::current().id();
        let (ran_on, name) = runtime
            .spawn(async {
                (
                    std::thread::current().id(),
                    std::thread::current().name().map(str::to_owned),
                )
            })
            .await
            .unwrap();
        assert_ne!(ran_on, caller);
        assert_eq!(name.as_deref(), Some("insignia-webhook-send"));
        drop(runtime);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn its_threads_run_at_a_lower_priority() {
        let runtime = LowPriorityRuntime::start(1).unwrap();
        // SAFETY: reads the calling thread's own priority.
        let nice = runtime
            .spawn(async { unsafe { libc::getpriority(libc::PRIO_PROCESS, thread_id()) } })
            .await
            .unwrap();
        assert!(nice >= NICE, "nice {nice}");
        // And blocking work it starts (DNS lookups) too.
        let nice = runtime
            .spawn(async {
                tokio::task::spawn_blocking(|| unsafe { libc::getpriority(libc::PRIO_PROCESS, thread_id()) })
                    .await
                    .unwrap()
            })
            .await
            .unwrap();
        assert!(nice >= NICE, "nice {nice}");
    }
}
