//! Writes ahead of reads when the machine is busy.
//!
//! A cached page costs one statement and a copy of its bytes, so a handful
//! of leaders reloading the dashboard keep every core busy, and a check-in
//! (a form, then a save: several statements and a transaction) waits its
//! turn behind every read in flight. With Bigco's dashboard asked for by 16
//! clients, check-ins fell to 0.40 of their unloaded rate.
//!
//! So while anything other than a read page is being served (a check-in's
//! form or save, any POST, a sign-in), the organization's read pages
//! ([`super::page_cache::CACHED`]) are served a few at a time; the others
//! wait here, in order, before they have taken a connection or any CPU.
//! With no write in flight reads are not bounded at all, so a machine that
//! only serves readers serves them as fast as before.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

use super::AppState;
use super::page_cache::CACHED;

/// Reads served at once per core while a write is, unless set
/// (`--read-concurrency`): measured on Bigco with 16 clients reading the
/// dashboard, check-ins kept 0.38 of their unloaded rate with no gate, 0.63
/// with one read per core and 0.75 with one in all (docs/performance.md).
pub fn default_bound() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// This process's gate. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ReadGate(Option<Arc<Gate>>);

#[derive(Debug)]
struct Gate {
    /// Requests other than read pages being served now.
    writes: AtomicUsize,
    reads: Semaphore,
}

/// What the gate makes of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One of the organization's read pages.
    Read,
    /// Anything a person does other than reading those pages.
    Write,
    /// Stylesheets, scripts, unknown addresses: neither held nor counted.
    Other,
}

impl ReadGate {
    /// At most `bound` reads at once while a write is served; 0: no gate.
    pub fn new(bound: usize) -> ReadGate {
        ReadGate((bound > 0).then(|| {
            Arc::new(Gate {
                writes: AtomicUsize::new(0),
                reads: Semaphore::new(bound),
            })
        }))
    }

    /// Runs `work` as a request of `kind`: a read waits for a slot while a
    /// write is in flight; a write is counted while it runs (and when it is
    /// dropped unfinished, it stops counting).
    pub async fn run<F: Future>(&self, kind: Kind, work: F) -> F::Output {
        let Some(gate) = &self.0 else {
            return work.await;
        };
        match kind {
            Kind::Read if gate.writes.load(Ordering::Acquire) > 0 => {
                // The semaphore is never closed; were it, the read would go ahead.
                let _slot = gate.reads.acquire().await.ok();
                work.await
            }
            Kind::Read | Kind::Other => work.await,
            Kind::Write => {
                gate.writes.fetch_add(1, Ordering::AcqRel);
                let _writing = Writing(&gate.writes);
                work.await
            }
        }
    }
}

/// Counts a write in flight for as long as it lives.
struct Writing<'a>(&'a AtomicUsize);

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Middleware on every route: classifies the request for the gate.
pub async fn admit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    // The API's reads are reads too (a report as JSON costs what the page
    // does); its POSTs are writes.
    let kind = match route {
        Some(r)
            if req.method() == Method::GET
                && (CACHED.contains(&r) || r.starts_with("/api/v1/{tenant}")) =>
        {
            Kind::Read
        }
        Some(r) if !r.starts_with("/static") => Kind::Write,
        _ => Kind::Other,
    };
    state.reads.run(kind, next.run(req)).await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use super::*;

    /// Spawns `n` reads that each stay a while, and gives the most that ran
    /// at once.
    async fn most_reads_at_once(gate: &ReadGate, n: usize) -> usize {
        let now = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let reads: Vec<_> = (0..n)
            .map(|_| {
                let (gate, now, most) = (gate.clone(), now.clone(), most.clone());
                tokio::spawn(async move {
                    gate.run(Kind::Read, async {
                        let here = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(here, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        now.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await;
                })
            })
            .collect();
        for r in reads {
            r.await.unwrap();
        }
        most.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn reads_go_a_few_at_a_time_only_while_a_write_is_served() {
        let gate = ReadGate::new(2);
        assert_eq!(most_reads_at_once(&gate, 6).await, 6, "no write: no bound");

        let (done, wait) = tokio::sync::oneshot::channel::<()>();
        let writer = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(Kind::Write, wait).await })
        };
        tokio::task::yield_now().await;
        while gate.0.as_ref().unwrap().writes.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            most_reads_at_once(&gate, 6).await,
            2,
            "a write in flight: two at once"
        );
        // Other requests are never held.
        assert_eq!(gate.run(Kind::Other, async { 7 }).await, 7);

        done.send(()).unwrap();
        writer.await.unwrap().unwrap();
        assert_eq!(gate.0.as_ref().unwrap().writes.load(Ordering::SeqCst), 0);
        assert_eq!(most_reads_at_once(&gate, 6).await, 6, "the write is over");
    }

    #[tokio::test]
    async fn a_write_dropped_unfinished_stops_counting() {
        let gate = ReadGate::new(1);
        let forever = gate.run(Kind::Write, std::future::pending::<()>());
        let _ = tokio::time::timeout(Duration::from_millis(5), forever).await;
        assert_eq!(gate.0.as_ref().unwrap().writes.load(Ordering::SeqCst), 0);
        assert_eq!(most_reads_at_once(&gate, 3).await, 3);
    }

    #[tokio::test]
    async fn a_bound_of_zero_is_no_gate() {
        let gate = ReadGate::new(0);
        let writing = gate.run(Kind::Write, std::future::pending::<()>());
        tokio::pin!(writing);
        let _ = tokio::time::timeout(Duration::from_millis(5), &mut writing).await;
        assert_eq!(most_reads_at_once(&gate, 4).await, 4);
    }
}
