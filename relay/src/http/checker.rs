//! Password checks on a few threads of their own, at most one per thread at a time.
//!
//! An Argon2 check works in 19 MiB, which each thread keeps and reuses for its next check
//! ([`crate::operators::password::verify`]). Run on tokio's blocking pool, checks would land on
//! whichever of its many threads is free, each keeping its own 19 MiB (and before the memory
//! was reused, the allocator kept a new share at each check: 64 logins in a row took a relay
//! from 42 to 231 MiB, and 64 at once to 309 MiB). Here they run on [`Checker::new`]'s threads
//! only, so all the checks together keep at most that many times 19 MiB, whatever the logins.
//!
//! [`Checker::run`] waits up to a given time for a free thread and returns `None` if none came
//! free (or the threads could not be started): callers answer "busy". A check whose caller
//! went away still runs to the end and holds its thread meanwhile, so the bound holds.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Semaphore, oneshot};

type Job = Box<dyn FnOnce() + Send>;

/// A few threads for password checks.
#[derive(Debug)]
pub struct Checker {
    jobs: Mutex<mpsc::Sender<Job>>,
    free: Arc<Semaphore>,
}

impl Checker {
    /// Starts `threads` threads (at least one); those that cannot be started are left out.
    pub fn new(threads: usize) -> Checker {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let mut started = 0;
        for i in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new().name(format!("password-check-{i}")).spawn(move || {
                loop {
                    let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
            match spawned {
                Ok(_) => started += 1,
                Err(e) => tracing::warn!(error = %e, "could not start a password check thread"),
            }
        }
        Checker { jobs: Mutex::new(jobs), free: Arc::new(Semaphore::new(started)) }
    }

    /// Runs `check` on a free thread, waiting at most `wait` for one; `None` if none came free.
    pub async fn run<T: Send + 'static>(
        &self,
        wait: Duration,
        check: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let permit = tokio::time::timeout(wait, Arc::clone(&self.free).acquire_owned()).await.ok()?.ok()?;
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _turn = permit;
            let _ = tx.send(check());
        });
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner).send(job).ok()?;
        rx.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn at_most_the_threads_run_at_once_and_a_long_wait_is_refused() {
        let checker = Arc::new(Checker::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (checker, running, most) = (Arc::clone(&checker), Arc::clone(&running), Arc::clone(&most));
            tasks.push(tokio::spawn(async move {
                checker
                    .run(Duration::from_secs(10), move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                        (i, std::thread::current().name().map(str::to_owned))
                    })
                    .await
            }));
        }
        let mut names = std::collections::BTreeSet::new();
        for t in tasks {
            let (_, name) = t.await.unwrap().unwrap();
            names.insert(name.unwrap());
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert!(names.len() <= 2 && names.iter().all(|n| n.starts_with("password-check-")), "{names:?}");

        let blocker = Arc::clone(&checker);
        let hold = tokio::spawn(async move {
            blocker.run(Duration::from_secs(1), || std::thread::sleep(Duration::from_millis(400))).await
        });
        let other = Arc::clone(&checker);
        let hold2 = tokio::spawn(async move {
            other.run(Duration::from_secs(1), || std::thread::sleep(Duration::from_millis(400))).await
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(checker.run(Duration::from_millis(50), || 1).await, None, "no thread came free in time");
        assert!(hold.await.unwrap().is_some() && hold2.await.unwrap().is_some());
        assert_eq!(checker.run(Duration::from_millis(50), || 1).await, Some(1));
    }
}
