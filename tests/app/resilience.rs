//! Issue 10, kept closed under load: the real `whygo serve` (its own
//! embedded PostgreSQL) while many clients write, sign in or wait. PostgreSQL
//! SIGKILLed mid-load loses no acknowledged write and answers no 500; SIGTERM
//! mid-load drains, exits within the deadline and stops the cluster; a flood
//! of sign-ins keeps memory flat. Each test prints its figures (run with
//! `--nocapture`); the last run's are in `docs/security.md`.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::serve::{Killed, postmaster_pid, start_serve, start_serve_env, wait_exit};

/// A date inside the demo's plan, so the pages and the comment form read
/// the same whatever the machine's clock says.
const AS_OF: &str = "2026-11-21";

/// One request over a fresh connection: the status (0 when the connection
/// was refused or closed without an answer) and the whole response.
fn request(addr: &str, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    request_within(addr, method, path, headers, body, Duration::from_secs(60))
}

/// [`request`], giving up (status 0) when no answer came within `timeout`.
fn request_within(
    addr: &str,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
    timeout: Duration,
) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return (0, String::new());
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let sent = write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    if sent.is_err() {
        return (0, String::new());
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    (status_of(&response), response)
}

fn status_of(response: &str) -> u16 {
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn cookie_in(response: &str, name: &str) -> Option<String> {
    response
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix("set-cookie: "))
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The anonymous visitor's cookie header and form token, from `/login`.
fn visitor(addr: &str) -> (String, String) {
    let (status, page) = request(addr, "GET", "/login", "", "");
    assert_eq!(status, 200, "{page}");
    let cookie = cookie_in(&page, "whygo_csrf").expect("a CSRF cookie");
    let token = crate::common::csrf_in(&page).expect("a CSRF token");
    (format!("Cookie: whygo_csrf={cookie}\r\n"), token)
}

/// Signs in as a demo account: the session's cookie header and form token.
fn sign_in(addr: &str, email: &str) -> (String, String) {
    let (cookie, token) = visitor(addr);
    let form = format!(
        "email={}&password={}&csrf_token={token}",
        email.replace('@', "%40"),
        crate::common::DEMO_PASSWORD
    );
    let (status, head) = request(addr, "POST", "/login", &cookie, &form);
    assert_eq!(status, 303, "{head}");
    let session = cookie_in(&head, "whygo_session").expect("a session");
    let cookie = format!("Cookie: whygo_session={session}\r\n");
    let (status, page) = request(addr, "GET", "/kartel/cascade", &cookie, "");
    assert_eq!(status, 200, "{page}");
    let token = crate::common::csrf_in(&page).expect("the session's token");
    (cookie, token)
}

const COMMENTS: &str = "/kartel/whygos/company-1/comments";

/// Posts the comment `body`: its status, 0 when no answer came within
/// `timeout` (a write begun just before the supervisor saw PostgreSQL die
/// waits for a connection until the cluster is back; a client that stops
/// waiting sends its next write into the gate's 503s).
fn comment(addr: &str, cookie: &str, token: &str, body: &str, timeout: Duration) -> u16 {
    let path = format!("{COMMENTS}?as_of={AS_OF}");
    request_within(
        addr,
        "POST",
        &path,
        cookie,
        &format!("body={body}&csrf_token={token}"),
        timeout,
    )
    .0
}

/// The company WhyGO's page, which lists every comment.
fn comments_page(addr: &str, cookie: &str) -> String {
    let (status, page) = request(
        addr,
        "GET",
        &format!("/kartel/whygos/company-1?as_of={AS_OF}"),
        cookie,
        "",
    );
    assert_eq!(status, 200, "{page}");
    page
}

/// Whether a process exists (signal 0 asks without signalling).
fn alive(pid: i32) -> bool {
    // SAFETY: kill with signal 0 only checks whether the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

fn sigterm(child: &Killed) {
    let pid = i32::try_from(child.0.id()).expect("pid");
    // SAFETY: sending SIGTERM to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
}

#[test]
fn acknowledged_writes_survive_postgres_killed_under_load_and_no_answer_is_500() {
    let data = crate::common::data_dir("whygo-ack-");
    let (mut child, addr) = start_serve(data.path(), &[]);
    let (cookie, token) = sign_in(&addr, "trent@kartel.example");

    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicUsize::new(0));
    let unavailable = Arc::new(AtomicUsize::new(0));
    let results: Arc<Mutex<Vec<(String, u16)>>> = Arc::default();
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let (addr, cookie, token) = (addr.clone(), cookie.clone(), token.clone());
            let (stop, acked, unavailable, results) = (
                stop.clone(),
                acked.clone(),
                unavailable.clone(),
                results.clone(),
            );
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let body = format!("ack-{t}-{i}");
                    let status = comment(&addr, &cookie, &token, &body, Duration::from_secs(1));
                    if status == 303 {
                        acked.fetch_add(1, Ordering::Relaxed);
                    } else {
                        if status == 503 {
                            unavailable.fetch_add(1, Ordering::Relaxed);
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    if let Ok(mut r) = results.lock() {
                        r.push((body, status));
                    }
                }
            })
        })
        .collect();

    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        let started = Instant::now();
        while !done() {
            assert!(started.elapsed() < Duration::from_secs(90), "{what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait_for("no write acknowledged before the kill", &|| {
        acked.load(Ordering::Relaxed) >= 20
    });
    let postmaster = postmaster_pid(data.path()).expect("a running postmaster");
    // SAFETY: killing the PostgreSQL our child started.
    assert_eq!(unsafe { libc::kill(postmaster, libc::SIGKILL) }, 0);
    let killed_at = Instant::now();
    let acked_at_kill = acked.load(Ordering::Relaxed);
    wait_for("the outage was never seen (no 503)", &|| {
        unavailable.load(Ordering::Relaxed) > 0
    });
    let acked_in_outage = acked.load(Ordering::Relaxed);
    wait_for(
        "writes were not acknowledged again after the restart",
        &|| acked.load(Ordering::Relaxed) >= acked_in_outage + 20,
    );
    let recovered_in = killed_at.elapsed();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().expect("a writer thread");
    }

    let results = results.lock().expect("results").clone();
    let page = comments_page(&addr, &cookie);
    let acknowledged: Vec<&String> = results
        .iter()
        .filter(|(_, s)| *s == 303)
        .map(|(b, _)| b)
        .collect();
    let lost: Vec<&&String> = acknowledged
        .iter()
        .filter(|b| !page.contains(&format!(">{b}<")))
        .collect();
    let refused: Vec<&(String, u16)> = results.iter().filter(|(_, s)| *s != 303).collect();
    let unanswered = refused.iter().filter(|(_, s)| *s == 0).count();
    let unexpected: Vec<&&(String, u16)> = refused
        .iter()
        .filter(|(_, s)| *s != 503 && *s != 0)
        .collect();
    let kept_anyway = refused
        .iter()
        .filter(|(b, _)| page.contains(&format!(">{b}<")))
        .count();
    eprintln!(
        "postgres killed under load: {} writes sent, {} acknowledged ({acked_at_kill} before the kill), {} lost; {} answered 503, {unanswered} not answered within 1 s; {kept_anyway} unacknowledged writes saved anyway, {} other; writes acknowledged again {:.1} s after the kill",
        results.len(),
        acknowledged.len(),
        lost.len(),
        refused.len() - unexpected.len() - unanswered,
        unexpected.len(),
        recovered_in.as_secs_f64()
    );
    assert!(
        unexpected.is_empty(),
        "answers other than 303 and 503 (500s among them?): {unexpected:?}"
    );
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    assert!(
        postmaster_pid(data.path()).is_some_and(|p| p != postmaster),
        "a new postmaster"
    );

    sigterm(&child);
    let status = wait_exit(&mut child, Duration::from_secs(60), "whygo did not stop");
    assert!(status.success(), "clean exit: {status:?}");
}

#[test]
fn sigterm_under_load_drains_in_flight_requests_exits_within_the_deadline_and_stops_postgres() {
    const DEADLINE: u64 = 3;
    let data = crate::common::data_dir("whygo-term-");
    let deadline = DEADLINE.to_string();
    let (mut child, addr) = start_serve(data.path(), &["--shutdown-deadline", &deadline]);
    let (cookie, token) = sign_in(&addr, "trent@kartel.example");
    let postmaster = postmaster_pid(data.path()).expect("a running postmaster");

    // Load: pages and writes from four clients, until the server is gone.
    let stop = Arc::new(AtomicBool::new(false));
    let results: Arc<Mutex<Vec<(String, u16)>>> = Arc::default();
    let clients: Vec<_> = (0..4)
        .map(|t| {
            let (addr, cookie, token) = (addr.clone(), cookie.clone(), token.clone());
            let (stop, results) = (stop.clone(), results.clone());
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let body = format!("term-{t}-{i}");
                    let status = if i % 2 == 0 {
                        comment(&addr, &cookie, &token, &body, Duration::from_secs(60))
                    } else {
                        request(&addr, "GET", "/kartel/sync", &cookie, "").0
                    };
                    if let Ok(mut r) = results.lock() {
                        r.push((body, status));
                    }
                    if status == 0 {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            })
        })
        .collect();

    // A write in flight at SIGTERM: the head and half the body now, the
    // rest after the signal. Draining means it is still answered.
    let mut in_flight = TcpStream::connect(&addr).expect("connect");
    let body = format!("body=drained-at-shutdown&csrf_token={token}");
    let (first, rest) = body.split_at(10);
    write!(
        in_flight,
        "POST {COMMENTS}?as_of={AS_OF} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{cookie}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .expect("send the first half");
    // A request that never finishes: only the deadline ends it.
    let mut stuck = TcpStream::connect(&addr).expect("connect");
    write!(
        stuck,
        "POST {COMMENTS} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Content-Length: 1000\r\n\r\nbody="
    )
    .expect("send the stuck head");

    let loading = Instant::now();
    while results.lock().map_or(0, |r| r.len()) < 8 {
        assert!(
            loading.elapsed() < Duration::from_secs(60),
            "the load did not run"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent_before = results.lock().map_or(0, |r| r.len());
    sigterm(&child);
    let signalled = Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    in_flight.write_all(rest.as_bytes()).expect("send the rest");
    in_flight
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut answer = String::new();
    let _ = in_flight.read_to_string(&mut answer);

    let status = wait_exit(
        &mut child,
        Duration::from_secs(DEADLINE + 30),
        "whygo did not stop after SIGTERM",
    );
    let exited_in = signalled.elapsed();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("a client thread");
    }
    drop(stuck);
    let results = results.lock().expect("results").clone();
    let answered = results.iter().filter(|(_, s)| *s != 0).count();
    let failed: Vec<&(String, u16)> = results.iter().filter(|(_, s)| *s >= 500).collect();
    eprintln!(
        "sigterm under load: {} requests ({sent_before} before the signal), {answered} answered, {} 5xx; the half-sent write answered {}; exited {:.2} s after SIGTERM (deadline {DEADLINE} s)",
        results.len(),
        failed.len(),
        status_of(&answer),
        exited_in.as_secs_f64()
    );
    assert!(status.success(), "clean exit: {status:?}");
    assert_eq!(
        status_of(&answer),
        303,
        "the write in flight at SIGTERM was not drained:\n{answer}"
    );
    assert!(failed.is_empty(), "5xx under shutdown: {failed:?}");
    assert!(sent_before >= 8, "the load ran: {sent_before} requests");
    // The deadline bounds the drain; stopping PostgreSQL takes the rest.
    assert!(
        exited_in < Duration::from_secs(DEADLINE + 10),
        "exited {exited_in:?} after SIGTERM with a {DEADLINE} s deadline"
    );
    assert!(
        exited_in >= Duration::from_secs(DEADLINE),
        "the stuck request was waited for up to the deadline ({exited_in:?})"
    );
    assert!(
        !data.path().join("pgdata").join("postmaster.pid").exists(),
        "the cluster's pid file is left"
    );
    assert!(!alive(postmaster), "postgres {postmaster} outlived whygo");

    // Every write acknowledged before and during the shutdown is there after
    // a restart on the same data.
    let (mut again, addr) = start_serve(data.path(), &[]);
    let (cookie, _) = sign_in(&addr, "trent@kartel.example");
    let page = comments_page(&addr, &cookie);
    let acknowledged: Vec<&String> = results
        .iter()
        .filter(|(b, s)| *s == 303 && b.starts_with("term-"))
        .map(|(b, _)| b)
        .collect();
    let lost: Vec<&&String> = acknowledged
        .iter()
        .filter(|b| !page.contains(&format!(">{b}<")))
        .collect();
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    assert!(page.contains(">drained-at-shutdown<"), "the drained write");
    eprintln!(
        "sigterm under load: {} acknowledged writes and the drained one found after a restart",
        acknowledged.len()
    );
    sigterm(&again);
    let status = wait_exit(&mut again, Duration::from_secs(60), "whygo did not stop");
    assert!(status.success());
}

/// Resident memory of a process in kB: now (`VmRSS`) and its peak (`VmHWM`).
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Concurrent wrong-password sign-ins, each from an address and for an
/// account of its own (so no sign-in limit stops them before the hash).
const FLOOD: usize = 300;
const SLOTS: &str = "2";
/// Generous: each argon2 run takes about 19 MiB; unbounded, 300 at once
/// took the process past 3 GB.
const PEAK_LIMIT_MB: u64 = 400;
/// Over the baseline: the slots' hashing memory (2 × 19 MiB) and the
/// connections' buffers, nowhere near one block per request.
const GROWTH_LIMIT_MB: u64 = 120;

#[test]
fn a_flood_of_sign_ins_keeps_memory_flat() {
    let data = crate::common::data_dir("whygo-flood-");
    let (mut child, addr) = start_serve_env(
        data.path(),
        &[
            "--demo",
            "false",
            "--hash-slots",
            SLOTS,
            "--trust-proxy",
            "true",
        ],
        // The allocator's default settings: the hashing threads must keep
        // memory flat on their own (src/auth/hasher.rs).
        &[],
    );
    let pid = child.0.id();
    let (cookie, token) = visitor(&addr);
    // Warm up: one sign-in, so the first hash's memory is in the baseline.
    let (status, _) = request(
        &addr,
        "POST",
        "/login",
        &format!("{cookie}X-Forwarded-For: 192.0.2.1\r\n"),
        &format!("email=warm%40example.com&password=wrong-password&csrf_token={token}"),
    );
    assert_eq!(status, 401);
    let (before, hwm_before) = memory(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !stop.load(Ordering::Relaxed) {
                peak = peak.max(memory(pid).0);
                std::thread::sleep(Duration::from_millis(5));
            }
            peak
        })
    };
    let started = Instant::now();
    let go = Arc::new(std::sync::Barrier::new(FLOOD));
    let flood: Vec<_> = (0..FLOOD)
        .map(|i| {
            let (addr, cookie, token, go) =
                (addr.clone(), cookie.clone(), token.clone(), go.clone());
            std::thread::spawn(move || {
                let headers = format!(
                    "{cookie}X-Forwarded-For: 10.{}.{}.{}\r\n",
                    i / 250,
                    i % 250,
                    1 + i % 7
                );
                let form = format!(
                    "email=flood{i}%40example.com&password=wrong-password-{i}&csrf_token={token}"
                );
                go.wait();
                request(&addr, "POST", "/login", &headers, &form).0
            })
        })
        .collect();
    let statuses: Vec<u16> = flood
        .into_iter()
        .map(|t| t.join().expect("a sign-in thread"))
        .collect();
    let took = started.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let peak = sampler.join().expect("the sampler");
    let (after, hwm_after) = memory(pid);
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let busy = statuses.iter().filter(|s| **s == 503).count();
    let other: Vec<&u16> = statuses
        .iter()
        .filter(|s| **s != 401 && **s != 503)
        .collect();
    eprintln!(
        "sign-in flood: {FLOOD} concurrent wrong passwords with --hash-slots {SLOTS} in {:.1} s: {checked} checked (401), {busy} busy (503), {} other; RSS before {} MB, peak during {} MB, after {} MB; VmHWM {} -> {} MB",
        took.as_secs_f64(),
        other.len(),
        before / 1024,
        peak / 1024,
        after / 1024,
        hwm_before / 1024,
        hwm_after / 1024
    );
    assert!(
        other.is_empty(),
        "answers other than 401 and 503: {other:?}"
    );
    assert!(
        checked >= 2,
        "the flood reached the hasher: {checked} checked"
    );
    assert!(
        hwm_after / 1024 < PEAK_LIMIT_MB,
        "peak resident memory {} MB (limit {PEAK_LIMIT_MB} MB)",
        hwm_after / 1024
    );
    assert!(
        hwm_after.saturating_sub(before) < GROWTH_LIMIT_MB * 1024,
        "the flood grew the process from {} MB to a peak of {} MB",
        before / 1024,
        hwm_after / 1024
    );
    // And the memory goes back once the flood is over.
    assert!(
        after.saturating_sub(before) < 40 * 1024,
        "still {} MB after the flood (from {} MB)",
        after / 1024,
        before / 1024
    );

    sigterm(&child);
    let status = wait_exit(&mut child, Duration::from_secs(60), "whygo did not stop");
    assert!(status.success());
}
