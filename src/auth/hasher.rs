//! Password hashing with a bound on how many run at once.
//!
//! One argon2 verification takes about 19 MiB and tens of milliseconds of a
//! core. Run unbounded on tokio's blocking pool (512 threads), a burst of 150
//! sign-ins took the process to 3.3 GB. Here at most `slots` hashes run at
//! once (default: one per core, which is also all the CPU they can use); a
//! request waits up to `wait` for a slot and otherwise gets [`HashError::Busy`],
//! which the web layer answers with 503 and `Retry-After`.
//!
//! The hashes run on `slots` threads of their own, not on tokio's blocking
//! pool: glibc keeps a freed 19 MiB block in the freeing thread's arena for
//! reuse, so hashing on whichever of hundreds of pool threads grew the process
//! to ~550 MB that it never gave back (docs/security.md, item 4). On a few
//! dedicated threads what is kept is at most one block per slot.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::password;

/// A hash to run, and where its answer goes.
type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone, Debug)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    wait: Duration,
    /// The hashing threads, started on first use (most test apps never hash).
    workers: Arc<OnceLock<Workers>>,
    threads: usize,
}

/// The sending end of the hashing threads' queue; the threads end when it is
/// dropped with the last clone of the [`Hasher`].
#[derive(Debug)]
struct Workers {
    jobs: Option<Mutex<mpsc::Sender<Job>>>,
}

impl Workers {
    fn start(threads: usize) -> Workers {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut started = 0;
        for i in 0..threads {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("whygo-hash-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while taking a job.
                        let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        match job {
                            // A panicking hash ends its job (its caller gets
                            // an error), not the thread.
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            Err(mpsc::RecvError) => break,
                        }
                    }
                });
            match spawned {
                Ok(_) => started += 1,
                Err(e) => tracing::error!(error = %e, "starting a password-hashing thread"),
            }
        }
        Workers {
            // No thread at all: hashes fall back to tokio's blocking pool.
            jobs: (started > 0).then(|| Mutex::new(tx)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("every password-hashing slot stayed busy")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// How long a sign-in waits for a hashing slot by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(2);

impl Default for Hasher {
    fn default() -> Hasher {
        Hasher::new(default_slots(), DEFAULT_WAIT)
    }
}

/// One slot per core the process may use.
pub fn default_slots() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

impl Hasher {
    /// `slots` below 1 count as 1.
    pub fn new(slots: usize, wait: Duration) -> Hasher {
        Hasher {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            wait,
            workers: Arc::new(OnceLock::new()),
            threads: slots.max(1),
        }
    }

    /// Takes one slot now, if one is free, and keeps it until the permit is
    /// dropped (tests use it to fill the slots).
    pub fn try_hold(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.slots).try_acquire_owned().ok()
    }

    /// Runs `work` on a hashing thread once a slot is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let acquired =
            tokio::time::timeout(self.wait, Arc::clone(&self.slots).acquire_owned()).await;
        let Ok(Ok(permit)) = acquired else {
            tracing::warn!(
                wait_ms = u64::try_from(self.wait.as_millis()).unwrap_or(u64::MAX),
                "no password-hashing slot came free: answering 503"
            );
            return Err(HashError::Busy);
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let out = work();
            drop(permit);
            let _ = tx.send(out);
        });
        let workers = self.workers.get_or_init(|| Workers::start(self.threads));
        let queued = match &workers.jobs {
            Some(jobs) => jobs
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .send(job)
                .map_err(|mpsc::SendError(job)| job),
            None => Err(job),
        };
        if let Err(job) = queued {
            tokio::task::spawn_blocking(job);
        }
        rx.await
            .map_err(|_| HashError::Failed(anyhow::anyhow!("the password-hashing thread stopped")))
    }

    /// Whether `candidate` matches `stored`; with no stored hash (no such
    /// account) it verifies against a dummy so both cost the same, and is false.
    pub async fn verify(
        &self,
        candidate: String,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        self.run(move || match stored {
            Some(hash) => password::verify(&candidate, &hash),
            None => {
                password::verify_against_nothing(&candidate);
                false
            }
        })
        .await
    }

    pub async fn hash(&self, new: String) -> Result<String, HashError> {
        self.run(move || password::hash(&new))
            .await?
            .map_err(HashError::Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_free_slot_verifies_and_a_held_one_answers_busy_after_the_wait() {
        let h = Hasher::new(1, Duration::from_millis(50));
        let hash = h
            .hash("correct horse battery".to_owned())
            .await
            .expect("hash");
        assert!(matches!(
            h.verify("correct horse battery".to_owned(), Some(hash.clone()))
                .await,
            Ok(true)
        ));
        let held = h.try_hold().expect("the one slot");
        assert!(matches!(
            h.verify("correct horse battery".to_owned(), Some(hash.clone()))
                .await,
            Err(HashError::Busy)
        ));
        drop(held);
        assert!(matches!(
            h.verify("wrong".to_owned(), Some(hash)).await,
            Ok(false)
        ));
    }
}
