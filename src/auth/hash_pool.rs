//! A fixed set of threads, one per core, that run password hashes one after another. A thread
//! that finishes a hash takes the next one waiting at once, without a round through the async
//! runtime, so the cores stay busy hashing under load; and at most one hash per core runs, so
//! hashing can neither starve the runtime nor pile up threads. The threads run under Linux's
//! idle scheduling policy: a hash takes tens of milliseconds of a core, and a read that becomes
//! runnable meanwhile takes the core at once instead of waiting out the hash's time slice (the
//! bench's storm measure: read p99 during a login storm against idle). The price: while other
//! work keeps every core busy, sign-ins wait for it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

use anyhow::anyhow;
use thread_priority::unix::{
    set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
    ThreadSchedulePolicy,
};
use thread_priority::ThreadPriority;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct HashPool {
    jobs: Sender<Job>,
}

impl HashPool {
    /// Starts `threads` hashing threads; they end when the last clone of the pool is dropped.
    pub fn new(threads: usize) -> Self {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("clara-hash-{n}"))
                .spawn(move || work(&queue))
                .expect("the hashing threads can be started");
        }
        Self { jobs }
    }

    /// Runs `work` on one of the pool's threads and returns what it returns.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(work());
            }))
            .map_err(|_| anyhow!("the password hashing threads have stopped"))?;
        result
            .await
            .map_err(|_| anyhow!("a password hash failed without an answer"))
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    // Lowering one's own priority needs no privilege; where the OS refuses, hashing still runs.
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    if let Err(e) = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle) {
        tracing::debug!(error = ?e, "the hashing thread keeps the default priority");
    }
    loop {
        let next = queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .recv();
        let Ok(job) = next else {
            return;
        };
        // A job that panics answers nothing (its caller gets an error); the thread lives on.
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn runs_no_more_jobs_at_once_than_it_has_threads() {
        let pool = HashPool::new(2);
        let (active, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let jobs = (0..6).map(|n| {
            let (active, most) = (active.clone(), most.clone());
            pool.run(move || {
                let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                active.fetch_sub(1, Ordering::SeqCst);
                n
            })
        });
        let done: Vec<usize> = futures::future::try_join_all(jobs).await.unwrap();
        assert_eq!(done, (0..6).collect::<Vec<_>>());
        assert!(most.load(Ordering::SeqCst) <= 2);
    }

    #[tokio::test]
    async fn a_job_that_panics_is_an_error_and_the_thread_lives_on() {
        let pool = HashPool::new(1);
        assert!(pool.run(|| panic!("a faulty hash")).await.is_err());
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }
}
